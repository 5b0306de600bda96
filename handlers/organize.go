package handlers

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/mailclient"
)

// Organizing messages (issue 14 item 6): every action on the list or a message says
// what it did, and what can be undone comes back with an Undo button. The undo is
// carried in the page itself (a token in the redirect URL, posted back with the
// session's CSRF token): it names only moves and flag changes of the user's own
// messages, which the user may do anyway, so the server keeps no state for it.

// undoStep is one IMAP change that puts back what an action did: move UIDs from
// From back to To, or set (On) or clear Flag on UIDs in From.
type undoStep struct {
	Op   string `json:"o"` // "move" or "flag"
	From string `json:"f"`
	To   string `json:"t,omitempty"`
	UIDs string `json:"u"` // an IMAP UID set, "5:9,12"
	Flag string `json:"g,omitempty"`
	On   bool   `json:"n,omitempty"`
}

// maxUndoToken bounds the token in a URL; a larger change (thousands of scattered
// UIDs) is done without an Undo button rather than with a broken one.
const maxUndoToken = 3000

func encodeUndo(steps []undoStep) string {
	if len(steps) == 0 {
		return ""
	}
	b, _ := json.Marshal(steps)
	tok := base64.RawURLEncoding.EncodeToString(b)
	if len(tok) > maxUndoToken {
		return ""
	}
	return tok
}

func decodeUndo(tok string) ([]undoStep, error) {
	if tok == "" || len(tok) > maxUndoToken {
		return nil, errors.New("no undo token")
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return nil, err
	}
	var steps []undoStep
	if err := json.Unmarshal(b, &steps); err != nil {
		return nil, err
	}
	if len(steps) == 0 {
		return nil, errors.New("empty undo")
	}
	for _, s := range steps {
		if _, err := parseUIDSet(s.UIDs); err != nil || s.From == "" {
			return nil, errors.New("bad undo step")
		}
		switch {
		case s.Op == "move" && s.To != "":
		case s.Op == "flag" && (s.Flag == `\Seen` || s.Flag == `\Flagged`):
		default:
			return nil, errors.New("bad undo step")
		}
	}
	return steps, nil
}

// outcome is what an action did, for the status line.
type outcome struct {
	kind  string // moved, purged, read, unread, flagged, unflagged, emptied
	count int
	dest  string // the folder messages went to (moved)
	steps []undoStep
}

// flagActions are the actions that set or clear one flag.
var flagActions = map[string]struct {
	flag string
	on   bool
}{"read": {`\Seen`, true}, "unread": {`\Seen`, false}, "flag": {`\Flagged`, true}, "unflag": {`\Flagged`, false}}

// Actions applies one action to the selected messages (a POST from the list or the
// message page): read, unread, flag, unflag, delete, archive, move; "readall" marks
// the whole folder (or every result of the search) read and "empty" empties Trash
// or Junk. With everything=1 the action covers every message of the folder, or in a
// search every result on all its pages, not only the ticked ones.
func (h *Handlers) Actions(w http.ResponseWriter, r *http.Request) {
	cl, _, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := r.Context()
	mailbox := mailboxParam(r)
	action := r.PostFormValue("action")
	list := backPlace(r)
	back := list.URL()
	byBox, boxes := parseRefs(mailbox, r.PostForm["uid"])
	sets := map[string]imap.UIDSet{}
	for _, b := range boxes {
		sets[b] = mailclient.UIDs(byBox[b])
	}
	wholeAsked := r.PostFormValue("everything") == "1" || action == "readall"
	switch {
	case (wholeAsked || action == "empty") && list.Query == "":
		boxes, sets = []string{mailbox}, map[string]imap.UIDSet{mailbox: mailclient.AllUIDs}
	case wholeAsked:
		// Every result of the search, on all its pages (searchall.go).
		if boxes, sets, err = h.searchSelection(ctx, r, cl, list); err != nil {
			h.actionFailed(w, r, back, fmt.Errorf("action %s: %w", action, err))
			return
		}
		// No results (any more): "nothing selected", below.
	}
	if action == "readall" {
		action = "read"
	}
	fromMessage := r.PostFormValue("from") == "message" && len(boxes) == 1 && len(byBox[boxes[0]]) == 1
	if len(boxes) == 0 {
		// Nothing ticked: say so, instead of silently doing nothing.
		http.Redirect(w, r, withFlash(back, url.Values{"ok": {"none"}}), http.StatusSeeOther)
		return
	}
	out := outcome{kind: action}
	for _, job := range chunked(boxes, sets) {
		box, set := job.box, job.set
		var mv mailclient.Moved
		if fa, ok := flagActions[action]; ok {
			var changed imap.UIDSet
			changed, err = cl.FlagSet(ctx, box, set, fa.flag, fa.on)
			if err == nil && len(changed) > 0 {
				out.count += countUIDs(changed)
				out.steps = append(out.steps, undoStep{Op: "flag", From: box, UIDs: changed.String(), Flag: fa.flag, On: !fa.on})
			}
			if action == "flag" || action == "unflag" {
				if fromMessage {
					back = list.messageURL(box, byBox[box][0])
				}
				out.kind = action + "ged"
			}
		} else {
			switch action {
			case "delete":
				mv, err = cl.DeleteSet(ctx, box, set)
			case "archive":
				mv, err = cl.ArchiveSet(ctx, box, set)
			case "move":
				dest := r.PostFormValue("dest")
				if dest == "" {
					http.Redirect(w, r, withFlash(back, url.Values{"ok": {"nodest"}}), http.StatusSeeOther)
					return
				}
				mv, err = cl.MoveSet(ctx, box, set, dest)
			case "empty":
				mv.Count, err = cl.EmptyFolder(ctx, box)
				out.kind = "emptied"
			default:
				h.Error(w, r, http.StatusBadRequest, "err.badrequest")
				return
			}
			out.count += mv.Count
			switch {
			case action == "empty":
			case mv.Dest == "":
				out.kind = "purged"
			default:
				out.kind, out.dest = "moved", mv.Dest
				if len(mv.UIDs) > 0 {
					out.steps = append(out.steps, undoStep{Op: "move", From: mv.Dest, To: box, UIDs: mv.UIDs.String()})
				}
			}
		}
		if err != nil {
			h.actionFailed(w, r, back, fmt.Errorf("action %s: %w", action, err))
			return
		}
		if fromMessage && (action == "delete" || action == "archive" || action == "move") {
			// The next message, not the list (panes.go; the setting may say the list).
			if next, ok := afterMove(r, list, box); ok {
				back = next
			}
		}
	}
	v := url.Values{"ok": {out.kind}, "n": {strconv.Itoa(out.count)}}
	if action == "empty" {
		v.Set("to", mailbox)
	}
	if out.dest != "" {
		v.Set("to", out.dest)
	}
	if tok := encodeUndo(out.steps); tok != "" && out.count > 0 {
		v.Set("undo", tok)
	}
	http.Redirect(w, r, withFlash(back, v), http.StatusSeeOther)
}

// actionFailed shows a refusal by the mail server on the page the user was on, in
// words; anything else is an error page.
func (h *Handlers) actionFailed(w http.ResponseWriter, r *http.Request, back string, err error) {
	if _, ok := imapWords(Lang(r), err); ok && imapCode(err) != imap.ResponseCodeOverQuota {
		h.Log.Info("imap refused action", "ip", ClientIP(r), "err", err)
		http.Redirect(w, r, withFlash(back, url.Values{"fail": {failKey(err)}}), http.StatusSeeOther)
		return
	}
	h.fail(w, r, err)
}

// failKey is the catalog key of a refusal, carried in the redirect (never its text).
func failKey(err error) string {
	if errors.Is(err, mailclient.ErrHasSubfolders) {
		return "err.haschildren"
	}
	if key, ok := imapCodeWords[imapCode(err)]; ok {
		return key
	}
	text := strings.ToLower(imapText(err))
	for _, w := range imapTextWords {
		if strings.Contains(text, w.text) {
			return w.key
		}
	}
	return "err.refused"
}

// Undo puts back what an action did (the token its status line carried) and
// returns to the page it came from.
func (h *Handlers) Undo(w http.ResponseWriter, r *http.Request) {
	cl, _, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	back := SafeNext(r.PostFormValue("back"))
	if back == "" {
		back = "/mail?f=INBOX"
	}
	steps, err := decodeUndo(r.PostFormValue("undo"))
	if err != nil {
		h.Error(w, r, http.StatusBadRequest, "err.badrequest")
		return
	}
	n := 0
	for _, s := range steps {
		set, _ := parseUIDSet(s.UIDs)
		switch s.Op {
		case "move":
			var mv mailclient.Moved
			mv, err = cl.MoveSet(r.Context(), s.From, set, s.To)
			n += mv.Count
		case "flag":
			var changed imap.UIDSet
			changed, err = cl.FlagSet(r.Context(), s.From, set, s.Flag, s.On)
			n += countUIDs(changed)
		}
		if err != nil {
			h.actionFailed(w, r, back, fmt.Errorf("undo: %w", err))
			return
		}
	}
	http.Redirect(w, r, withFlash(back, url.Values{"ok": {"undone"}, "n": {strconv.Itoa(n)}}), http.StatusSeeOther)
}

// withFlash adds the status line's parameters to a local URL, replacing any it had.
func withFlash(u string, v url.Values) string {
	path, query, _ := strings.Cut(u, "?")
	q, _ := url.ParseQuery(query)
	for _, k := range flashParams {
		q.Del(k)
	}
	for k, vs := range v {
		q[k] = vs
	}
	return path + "?" + q.Encode()
}

// flashParams are the query parameters that carry a status line.
var flashParams = []string{"ok", "n", "to", "undo", "fail"}

// countUIDs counts the UIDs of a set of numbers (no "*" in it).
func countUIDs(set imap.UIDSet) int {
	n := 0
	for _, r := range set {
		if r.Stop >= r.Start {
			n += int(r.Stop-r.Start) + 1
		}
	}
	return n
}

// statusKeys are the status lines of actions, each taking the count phrase (and
// the folder, for moved and emptied).
var statusKeys = map[string]string{
	"moved": "st.moved", "purged": "st.purged", "read": "st.read", "unread": "st.unread",
	"flagged": "st.flagged", "unflagged": "st.unflagged", "emptied": "st.emptied", "undone": "st.undone",
	"fdeleted": "st.fdeleted", "fcreated": "st.fcreated", "frenamed": "st.frenamed",
}

// statusLine fills the shell's status line from the query of a page an action
// redirected to: what happened, how many, where, and the Undo token.
func statusLine(sh *templates.Shell, r *http.Request, folders []mailclient.Folder) {
	q := r.URL.Query()
	l := sh.Lang
	if key := q.Get("fail"); strings.HasPrefix(key, "err.") && l.Has(key) {
		sh.Error = l.T(key)
		return
	}
	ok := q.Get("ok")
	switch ok {
	case "none":
		sh.Error = l.T("st.none")
		return
	case "nodest":
		sh.Error = l.T("st.nodest")
		return
	}
	key, found := statusKeys[ok]
	if !found {
		return
	}
	n, _ := strconv.Atoi(q.Get("n"))
	label := q.Get("to")
	for i, f := range folders {
		if f.Name == label && i < len(sh.Folders) {
			label = sh.Folders[i].Label
		}
	}
	switch ok {
	case "moved", "emptied":
		sh.Flash = l.Tf(key, l.Messages(n), label)
	case "fdeleted":
		sh.Flash = l.Tf(key, label, l.Messages(n))
	case "fcreated", "frenamed":
		sh.Flash = l.Tf(key, label)
	default:
		sh.Flash = l.Tf(key, l.Messages(n))
	}
	switch {
	case n == 0 && ok == "undone":
		sh.Flash = l.T("st.undone0")
	case n == 0 && (!strings.HasPrefix(ok, "f") || ok == "flagged"):
		sh.Flash = l.T("st.nochange")
	}
	if tok := q.Get("undo"); tok != "" {
		if _, err := decodeUndo(tok); err == nil {
			sh.Undo = tok
			rest := r.URL.Query()
			for _, k := range flashParams {
				rest.Del(k)
			}
			sh.UndoBack = r.URL.Path + "?" + rest.Encode()
		}
	}
}

// parseUIDSet reads an IMAP UID set as encodeUndo wrote it: "5:9,12" (numbers and
// ranges, no "*": an undo names the messages it moved, never "all").
func parseUIDSet(s string) (imap.UIDSet, error) {
	var set imap.UIDSet
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, ":")
		a, err := strconv.ParseUint(lo, 10, 32)
		if err != nil || a == 0 {
			return nil, fmt.Errorf("bad UID set %q", s)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 32); err != nil || b == 0 {
				return nil, fmt.Errorf("bad UID set %q", s)
			}
		}
		set.AddRange(imap.UID(min(a, b)), imap.UID(max(a, b)))
	}
	return set, nil
}

// goneMessage answers a message that is no longer there with its folder's list
// (the same place: page and search) and a status line saying so, as a 404.
func (h *Handlers) goneMessage(w http.ResponseWriter, r *http.Request) {
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = withFlash(placeFrom(r).URL(), url.Values{"fail": {"err.gone"}})[len("/mail?"):]
	r2.Form = nil
	h.Mailbox(statusWriter{w, http.StatusNotFound}, r2)
}

// statusWriter answers with its own status whatever the handler sets.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s statusWriter) WriteHeader(int) { s.ResponseWriter.WriteHeader(s.status) }
