package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/internal/connlimit"
	"github.com/yubinmail/yubin/internal/loginguard"
	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/autoconfig"
	"github.com/yubinmail/yubin/web/cardclient"
	"github.com/yubinmail/yubin/web/imageproxy"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/outbox"
	"github.com/yubinmail/yubin/web/push"
	"github.com/yubinmail/yubin/web/session"
	"github.com/yubinmail/yubin/web/settings"
	"github.com/yubinmail/yubin/web/sieveclient"
)

// PerPage is the message list's page size when the user has chosen none.
const PerPage = settings.DefaultPerPage

// perPage is the user's list page size (the settings page's "messages per page").
func perPage(r *http.Request) int {
	if n := settings.FromContext(r.Context()).PerPage; slices.Contains(settings.PageSizes, n) {
		return n
	}
	return PerPage
}

// Deps is what every request shares: the stateful parts of the webmail, which
// package web builds once and owns (it sweeps the sessions, closes the pool and
// stops the streams at shutdown), and the settings the screens need. The handlers
// keep no state of their own.
type Deps struct {
	Sessions *session.Store
	Pool     *mailclient.Pool // each session's IMAP connection
	Streams  *Streams         // open live-update streams (events.go)
	// Guard is the one login policy (internal/loginguard), shared with nothing else
	// in this process: the mail server keeps its own.
	Guard *loginguard.Guard
	// LoginsInFlight counts, per client address, sign-ins waiting on the mail
	// server (at most MaxLoginsInFlightPerIP).
	LoginsInFlight  *connlimit.Counter
	Mail            mailclient.Server  // where IMAP and submission are
	Sieve           sieveclient.Server // where ManageSieve is; Addr "" = no Out-of-office page
	Contacts        cardclient.Server  // where CardDAV is; URL "" = no contacts page
	ContactCache    *cardclient.Cache  // each account's contacts, briefly (autocomplete)
	Hostname        string             // Message-ID domain
	MaxMessageBytes int64              // the largest message a user may send
	Log             *slog.Logger
	// CountLogin counts one sign-in by its result: LoginOK, LoginFailed,
	// LoginThrottled, LoginBusy or LoginError (the webmail's metrics).
	CountLogin func(result string)
	// Autoconfig is the server's name and listeners, for the setup page.
	Autoconfig autoconfig.Settings
	// Settings is the webmail's own store of each account's preferences.
	Settings *settings.Store
	// Directory is what the mail server knows of an account (name, the addresses
	// it may send as); nil when the webmail runs against another server.
	Directory settings.Directory
	// Images fetches the remote images of mail for the reader (web/imageproxy).
	Images *imageproxy.Proxy
	// Push notifies the user's devices of new mail while no tab is open (web/push).
	Push *push.Notifier
	// Outbox sends what waits (undo delay, send later); nil sends at once.
	Outbox *outbox.Runner
}

// Sign-in results for Deps.CountLogin: the same words as the mail server's
// yubin_logins_total uses, so one dashboard reads both.
const (
	LoginOK        = "ok"
	LoginFailed    = "failed"
	LoginThrottled = "throttled"
	LoginBusy      = "busy"
	LoginError     = "error"
)

func (h *Handlers) countLogin(result string) {
	if h.CountLogin != nil {
		h.CountLogin(result)
	}
}

// Handlers serves the webmail's screens.
type Handlers struct {
	Deps
	now func() time.Time
}

// New returns the handlers over d; every field of d must be set.
func New(d Deps) *Handlers {
	return &Handlers{Deps: d, now: time.Now}
}

// MaxRequestBytes bounds a request body: the largest message plus form overhead.
func (h *Handlers) MaxRequestBytes() int64 { return h.MaxMessageBytes + 1<<20 }

// Lang picks the UI language of a request: the one chosen in the settings, else
// the browser's.
func Lang(r *http.Request) templates.Lang {
	if l := settings.FromContext(r.Context()).Lang; l != "" {
		return templates.Lang(l)
	}
	return templates.PickLang(r.Header.Get("Accept-Language"))
}

// ClientIP is the peer's address without the port.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (h *Handlers) mailOptions(user, password string) mailclient.Options {
	return h.Mail.Options(user, password, h.Log)
}

// client returns the session's mail connection, re-dialling after a restart or an
// idle close with the password decrypted from the session.
func (h *Handlers) client(r *http.Request) (*mailclient.Client, *session.Session, error) {
	s := session.FromContext(r.Context())
	if s == nil {
		return nil, nil, errNoSession
	}
	cl, err := h.Pool.Get(r.Context(), s.ID, func() (mailclient.Options, error) {
		pw, err := s.Password()
		if err != nil {
			return mailclient.Options{}, err
		}
		return h.mailOptions(s.User, pw), nil
	})
	return cl, s, err
}

var errNoSession = errors.New("no session")

func (h *Handlers) page(r *http.Request, title string) templates.Page {
	p := templates.Page{Lang: Lang(r), Title: title}
	if s := session.FromContext(r.Context()); s != nil {
		p.User, p.CSRF = s.User, s.MaskedCSRF()
	}
	return p
}

// shell builds the signed-in frame with the folder list.
func (h *Handlers) shell(ctx context.Context, r *http.Request, cl *mailclient.Client, title, current string) (templates.Shell, []mailclient.Folder, error) {
	sh := templates.Shell{Page: h.page(r, title), Current: current}
	folders, err := cl.Folders(ctx)
	if err != nil {
		return sh, nil, err
	}
	for _, f := range folders {
		sh.Folders = append(sh.Folders, h.folderView(sh.Lang, f))
	}
	// Storage use: the server's quota (RFC 9208) when it has one, else the sum of
	// the folder sizes the listing already carried (RFC 8438).
	u, ok := mailclient.FolderUsage(folders)
	if q, has, err := cl.Quota(ctx); err == nil && has {
		u, ok = q, true
	}
	if ok {
		sh.Usage = usageView(u)
	}
	if key, ok := flashKeys[r.URL.Query().Get("ok")]; ok {
		sh.Flash = sh.Lang.T(key)
	}
	statusLine(&sh, r, folders)
	for _, f := range folders {
		if f.SpecialUse == `\Inbox` {
			sh.Unread = f.Unseen
		}
	}
	if id := r.URL.Query().Get("sending"); id != "" {
		sh.SendUndo = h.undoBar(r, id)
	}
	return sh, folders, nil
}

// usageView formats storage use as "used / limit (percent)", or "used" alone.
func usageView(u mailclient.Usage) templates.Usage {
	if u.Limit <= 0 {
		return templates.Usage{Text: templates.Size(u.Used), Percent: -1}
	}
	pct := int(min(100, u.Used*100/u.Limit))
	return templates.Usage{Text: fmt.Sprintf("%s / %s (%d%%)", templates.Size(u.Used), templates.Size(u.Limit), pct), Percent: pct}
}

var flashKeys = map[string]string{"sent": "cmp.sent", "sentfull": "cmp.sentfull", "saved": "cmp.saved", "done": "done"}

var useIcons = map[string]string{`\Inbox`: "inbox", mailclient.UseDrafts: "drafts", mailclient.UseSent: "sent", mailclient.UseTrash: "trash", mailclient.UseJunk: "junk", mailclient.UseArchive: "archive"}

func (h *Handlers) folderView(l templates.Lang, f mailclient.Folder) templates.Folder {
	v := templates.Folder{Name: f.Name, Label: f.Display, Depth: f.Depth, Icon: "folder", Unseen: f.Unseen, Messages: f.Messages, NoSelect: f.NoSelect, URL: mailboxURL(f.Name, 0)}
	if icon, ok := useIcons[f.SpecialUse]; ok {
		v.Icon = icon
		v.Label = l.T(icon)
	}
	return v
}

func mailboxURL(mailbox string, page int) string {
	q := url.Values{"f": {mailbox}}
	if page > 0 {
		q.Set("page", strconv.Itoa(page))
	}
	return "/mail?" + q.Encode()
}

func messageURL(mailbox string, uid uint32) string {
	return "/msg?" + url.Values{"f": {mailbox}, "uid": {strconv.FormatUint(uint64(uid), 10)}}.Encode()
}

func (h *Handlers) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := c.Render(r.Context(), w); err != nil {
		h.Log.Warn("render failed", "path", r.URL.Path, "ip", ClientIP(r), "err", err)
	}
}

// Error renders a readable error page; the details go to the log, not the browser.
func (h *Handlers) Error(w http.ResponseWriter, r *http.Request, status int, key string) {
	l := Lang(r)
	if h.appError(w, r, status, l.T(key)) {
		return
	}
	h.render(w, r, status, templates.ErrorPage(templates.ErrorData{Page: h.page(r, l.T("err.title")), Status: status, Message: l.T(key),
		SignedOut: session.FromContext(r.Context()) == nil}))
}

// fail maps an error from the mail layer to an error page.
func (h *Handlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	user := ""
	if s := session.FromContext(r.Context()); s != nil {
		user = s.User
	}
	switch {
	case errors.Is(err, errNoSession):
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	case errors.Is(err, mailclient.ErrAuth):
		// The password changed since login: the session is useless.
		h.Log.Info("webmail session credentials rejected", "ip", ClientIP(r), "user", user)
		if s := session.FromContext(r.Context()); s != nil {
			h.Sessions.Destroy(w, r, s)
			h.Pool.Remove(s.ID)
			h.Streams.stop(s.ID)
		}
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	case errors.Is(err, mailclient.ErrNotFound) && r.Method == http.MethodGet && r.URL.Path == "/msg":
		// A message deleted or moved since (the browser's back button after Delete):
		// its folder's list, saying so, not a bare error page; still a 404.
		h.goneMessage(w, r)
	case errors.Is(err, mailclient.ErrNotFound):
		h.Error(w, r, http.StatusNotFound, "err.notfound")
	case imapCode(err) == imap.ResponseCodeOverQuota:
		// RFC 5530 OVERQUOTA (a draft, a copy): the user can act on this one.
		h.Log.Info("imap refused request: over quota", "path", r.URL.Path, "ip", ClientIP(r), "user", user)
		h.Error(w, r, http.StatusInsufficientStorage, "err.overquota")
	case isIMAPNo(err):
		h.Log.Info("imap refused request", "path", r.URL.Path, "ip", ClientIP(r), "user", user, "err", err)
		h.Error(w, r, http.StatusBadRequest, failKey(err)) // in words (words.go)
	default:
		h.Log.Warn("webmail request failed", "path", r.URL.Path, "ip", ClientIP(r), "user", user, "err", err)
		h.Error(w, r, http.StatusBadGateway, "err.server")
	}
}

// imapCode is the response code of an IMAP NO or BAD, or "".
func imapCode(err error) imap.ResponseCode {
	var ie *imap.Error
	if errors.As(err, &ie) {
		return ie.Code
	}
	return ""
}

func isIMAPNo(err error) bool {
	var ie *imap.Error
	return errors.As(err, &ie) && (ie.Type == imap.StatusResponseTypeNo || ie.Type == imap.StatusResponseTypeBad)
}

func imapText(err error) string {
	var ie *imap.Error
	if errors.As(err, &ie) {
		return ie.Text
	}
	return ""
}

// SafeNext returns next if it is a local path on this site, else "". A leading "//"
// or "/\" would be taken by browsers as another host: an open redirect.
func SafeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) {
		return ""
	}
	if strings.ContainsAny(next, "\r\n\t\\") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return next
}

func parseUID(s string) uint32 {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

func mailboxParam(r *http.Request) string {
	f := r.FormValue("f")
	if f == "" {
		return "INBOX"
	}
	return f
}
