package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/session"
)

// Live updates: GET /events is a text/event-stream (HTML Living Standard, "Server-sent
// events") that tells a tab the inbox's message and unread counts, at once and on every
// change. Each stream watches INBOX on an IMAP connection of its own (IDLE), so the
// session's connection and its lock stay free for the user's requests.

const (
	// StreamMaxAge ends a stream after this long; the browser reconnects on its own.
	// Streams do not count as activity, so an open tab does not keep a session alive
	// past its idle timeout.
	StreamMaxAge = 20 * time.Minute
	// MaxStreams bounds the IMAP connections held for live updates server-wide.
	MaxStreams = 1000
	// MaxStreamsPerUser bounds them per account: one user signing in again and again
	// (each sign-in is a session with a stream of its own) must not take every slot
	// and leave everyone else without live updates.
	MaxStreamsPerUser = 10
	// streamPing keeps proxies from closing a quiet stream and finds vanished clients.
	streamPing = 25 * time.Second
)

// Streams holds the open live streams, each a tab of one session. Every tab gets
// its own (a second tab used to take the stream from the first, which then never
// heard of new mail); past MaxStreamsPerSession the oldest of the session is ended
// and told so ("bye"): it reconnects only when its tab is looked at again.
type Streams struct {
	mu     sync.Mutex
	byID   map[string][]*stream // by session ID, oldest first
	n      int                  // open streams in all
	byUser map[string]int       // open streams per account
	// folders shares every folder's counts among the tabs of an account
	// (foldercounts.go).
	folders folderBoards
}

type stream struct {
	user   string
	cancel context.CancelCauseFunc
}

// MaxStreamsPerSession bounds the tabs of one sign-in that get live updates.
const MaxStreamsPerSession = 6

var errReplaced = errors.New("replaced by a newer stream")

// NewStreams returns an empty set of streams.
func NewStreams() *Streams {
	return &Streams{byID: make(map[string][]*stream), byUser: make(map[string]int)}
}

func (s *Streams) add(id string, st *stream) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tabs := s.byID[id]; len(tabs) >= MaxStreamsPerSession {
		tabs[0].cancel(errReplaced)
		s.forget(id, tabs[0])
	} else if s.n >= MaxStreams {
		return false
	}
	if s.byUser[st.user] >= MaxStreamsPerUser {
		return false
	}
	s.byID[id] = append(s.byID[id], st)
	s.n++
	s.byUser[st.user]++
	return true
}

// forget drops one stream of the session from the books; s.mu is held.
func (s *Streams) forget(id string, st *stream) {
	tabs := s.byID[id]
	i := slices.Index(tabs, st)
	if i < 0 {
		return
	}
	tabs = slices.Delete(tabs, i, i+1)
	if len(tabs) == 0 {
		delete(s.byID, id)
	} else {
		s.byID[id] = tabs
	}
	s.n--
	if s.byUser[st.user]--; s.byUser[st.user] <= 0 {
		delete(s.byUser, st.user)
	}
}

func (s *Streams) remove(id string, st *stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forget(id, st)
}

// stop ends every stream of the session (logout).
func (s *Streams) stop(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range slices.Clone(s.byID[id]) {
		st.cancel(context.Canceled)
		s.forget(id, st)
	}
}

// Len reports how many live streams are open.
func (s *Streams) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// StopAll ends every live stream (server shutdown).
func (s *Streams) StopAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, tabs := range s.byID {
		for _, st := range slices.Clone(tabs) {
			st.cancel(context.Canceled)
			s.forget(id, st)
		}
	}
}

// Events serves the live-update stream of the signed-in session.
func (h *Handlers) Events(w http.ResponseWriter, r *http.Request) {
	s := session.FromContext(r.Context())
	if s == nil {
		http.Error(w, "no session", http.StatusUnauthorized)
		return
	}
	ip := ClientIP(r)
	life := min(StreamMaxAge, h.Sessions.IdleTimeout()-h.now().Sub(s.Seen))
	if life <= 0 {
		http.Error(w, "session expired", http.StatusUnauthorized)
		return
	}
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	ctx, cancelT := context.WithTimeout(ctx, life)
	defer cancelT()
	st := &stream{user: strings.ToLower(s.User), cancel: cancel}
	if !h.Streams.add(s.ID, st) {
		h.Log.Warn("webmail live stream refused: too many", "ip", ip, "user", s.User)
		w.Header().Set("Retry-After", "60")
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	defer h.Streams.remove(s.ID, st)

	pw, err := s.Password()
	if err != nil {
		http.Error(w, "no session", http.StatusUnauthorized)
		return
	}
	// The user is here: push (if this account has devices) watches with this
	// visit's credentials from now on, also after the tab closes.
	h.Push.Ensure(ctx, s.User, h.mailOptions(s.User, pw))
	watcher, err := mailclient.Watch(ctx, h.mailOptions(s.User, pw), "INBOX")
	if err != nil {
		status := http.StatusBadGateway
		if errors.Is(err, mailclient.ErrAuth) {
			status = http.StatusUnauthorized
		}
		h.Log.Info("webmail live stream: watch failed", "ip", ip, "user", s.User, "err", err)
		http.Error(w, http.StatusText(status), status)
		return
	}
	defer watcher.Close()

	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	rc := http.NewResponseController(w)
	var mu sync.Mutex // the watcher's callback and the pinger both write
	write := func(format string, args ...any) error {
		mu.Lock()
		defer mu.Unlock()
		// A server-wide WriteTimeout would cut the stream: each write gets its own.
		_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return err
		}
		return rc.Flush()
	}
	// Every folder's counts: read by whichever tab of the account is due, sent
	// to all of them (foldercounts.go); the pinger below writes them.
	folders := h.Streams.joinFolders(st.user)
	defer folders.leave()
	watcher.Folders = folders
	// retry: how long the browser waits before reconnecting (after StreamMaxAge).
	if err := write("retry: 10000\n: yubin live updates\n\n"); err != nil {
		return
	}
	h.Log.Debug("webmail live stream open", "ip", ip, "user", s.User)

	pingCtx, stopPing := context.WithCancel(ctx)
	pingDone := make(chan struct{})
	// The pinger must be gone before this handler returns: writing to w after that
	// is a bug net/http does not forgive.
	defer func() { stopPing(); <-pingDone }()
	go func() {
		defer close(pingDone)
		t := time.NewTicker(streamPing)
		defer t.Stop()
		for {
			select {
			case <-pingCtx.Done():
				return
			case <-t.C:
				if write(": ping\n\n") != nil {
					cancel(errors.New("client gone"))
					return
				}
			case fs := <-folders.news:
				data, _ := json.Marshal(fs)
				if write("event: folders\ndata: %s\n\n", data) != nil {
					cancel(errors.New("client gone"))
					return
				}
			}
		}
	}()
	err = watcher.Run(ctx, func(c mailclient.Counts) {
		data, _ := json.Marshal(c)
		if write("event: counts\ndata: %s\n\n", data) != nil {
			cancel(errors.New("client gone"))
		}
	})
	stopPing()
	<-pingDone
	if errors.Is(context.Cause(ctx), errReplaced) {
		// Another tab took over: tell this one not to reconnect.
		write("event: bye\ndata: replaced\n\n")
	}
	if err != nil {
		h.Log.Info("webmail live stream ended", "ip", ip, "user", s.User, "err", err)
	}
}
