package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/yubinmail/yubin/internal/mailaddr"
	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/session"
	"github.com/yubinmail/yubin/web/settings"
)

// commonZones are suggested in the time zone field; any IANA name is accepted.
var commonZones = []string{"Asia/Tokyo", "UTC", "Asia/Seoul", "Asia/Shanghai", "Asia/Singapore",
	"Australia/Sydney", "Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York",
	"America/Chicago", "America/Denver", "America/Los_Angeles", "Pacific/Honolulu"}

// SettingsPage shows the account's preferences (web/settings).
func (h *Handlers) SettingsPage(w http.ResponseWriter, r *http.Request) {
	d, ok := h.settingsShell(w, r)
	if !ok {
		return
	}
	if r.URL.Query().Get("ok") == "settings" {
		d.Flash = d.Lang.T("set.saved")
	}
	st := settings.FromContext(r.Context())
	if !st.NameChosen {
		st.DisplayName = h.accountName(r)
	}
	fillSettings(&d, st)
	h.render(w, r, http.StatusOK, templates.Settings(d))
}

// SettingsSave stores the posted preferences. A form with a problem (an address
// the server will not send as, an unknown time zone) is shown again as posted,
// with the reason, and nothing is stored.
func (h *Handlers) SettingsSave(w http.ResponseWriter, r *http.Request) {
	user := session.FromContext(r.Context()).User
	var senders []string
	if h.Directory != nil {
		acct, err := h.Directory.Account(r.Context(), user)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		senders = acct.Senders
	}
	var posted settings.Settings
	problem := ""
	_, err := h.Settings.Update(r.Context(), user, func(st *settings.Settings) error {
		if p := settingsFromForm(r, st, senders, Lang(r)); p != "" {
			problem, posted = p, *st
			return errFormProblem
		}
		return nil
	})
	if errors.Is(err, errFormProblem) {
		d, ok := h.settingsShell(w, r)
		if !ok {
			return
		}
		d.Problem = problem
		fillSettings(&d, posted)
		h.render(w, r, http.StatusBadRequest, templates.Settings(d))
		return
	}
	if err != nil {
		h.Log.Warn("webmail settings not saved", "ip", ClientIP(r), "user", user, "err", err)
		h.Error(w, r, http.StatusInternalServerError, "err.server")
		return
	}
	h.Log.Info("webmail settings saved", "ip", ClientIP(r), "user", user)
	http.Redirect(w, r, "/settings?ok=settings", http.StatusSeeOther)
}

var errFormProblem = errors.New("form problem")

// settingsFromForm reads the settings form into st; it returns a problem to show
// (in l) when the form cannot be stored. Add one line here for a new setting.
func settingsFromForm(r *http.Request, st *settings.Settings, senders []string, l templates.Lang) string {
	f := r.PostFormValue
	st.DisplayName, st.NameChosen = f("display_name"), true
	st.Signature = strings.ReplaceAll(f("signature"), "\r\n", "\n")
	st.SignatureAbove = f("signature_place") == "above"
	st.RichText = f("compose_mode") == "rich"
	st.Lang = f("lang")
	st.TimeZone = strings.TrimSpace(f("time_zone"))
	st.PerPage, _ = strconv.Atoi(f("per_page"))
	st.Layout, st.Grouping, st.AfterMove = f("layout"), f("grouping"), f("after_move")
	undo, err := strconv.Atoi(strings.TrimSpace(f("undo_seconds")))
	st.UndoSeconds = &undo
	ids, problem := identitiesFromForm(r, senders, l)
	st.Identities = ids
	switch {
	case problem != "":
		return problem
	case err != nil || undo < 0 || undo > settings.MaxUndoSeconds:
		return l.T("set.undo.bad")
	case !settings.ValidTimeZone(st.TimeZone):
		return l.Tf("set.tz.bad", st.TimeZone)
	}
	return ""
}

// identitiesFromForm reads the "send as" rows (parallel lists of fields), leaving
// out empty and removed ones. Against the bundled server (senders known) an
// address it will not accept is refused here; otherwise the server says so at
// submission.
func identitiesFromForm(r *http.Request, senders []string, l templates.Lang) ([]settings.Identity, string) {
	pf := r.PostForm
	remove := map[string]bool{}
	for _, i := range pf["id_remove"] {
		remove[i] = true
	}
	var out []settings.Identity
	for i, addr := range pf["id_address"] {
		addr = strings.TrimSpace(addr)
		if addr == "" || remove[strconv.Itoa(i)] {
			continue
		}
		id := settings.Identity{Address: addr, Name: at(pf["id_name"], i),
			ReplyTo: strings.TrimSpace(at(pf["id_reply_to"], i)), Signature: strings.ReplaceAll(at(pf["id_signature"], i), "\r\n", "\n")}
		out = append(out, id)
		if _, err := mailaddr.ParseAddress(addr); err != nil {
			return out, l.Tf("set.id.bad", addr)
		}
		if id.ReplyTo != "" {
			if _, err := mailaddr.ParseAddress(id.ReplyTo); err != nil {
				return out, l.Tf("set.id.bad", id.ReplyTo)
			}
		}
		if senders != nil && !slices.ContainsFunc(senders, func(s string) bool { return strings.EqualFold(s, addr) }) {
			return out, l.Tf("set.id.notyours", addr)
		}
		if len(out) > settings.MaxIdentities {
			return out, l.T("set.id.toomany")
		}
	}
	return out, ""
}

func at(v []string, i int) string {
	if i < len(v) {
		return v[i]
	}
	return ""
}

func (h *Handlers) settingsShell(w http.ResponseWriter, r *http.Request) (templates.SettingsData, bool) {
	cl, _, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return templates.SettingsData{}, false
	}
	sh, _, err := h.shell(r.Context(), r, cl, Lang(r).T("set.title"), "")
	if err != nil {
		h.fail(w, r, err)
		return templates.SettingsData{}, false
	}
	d := templates.SettingsData{Shell: sh, Zones: commonZones, PageSizes: settings.PageSizes}
	if h.Directory != nil {
		if acct, err := h.Directory.Account(r.Context(), sh.User); err == nil {
			// The user's own address is always the From; the others are identities.
			for _, a := range acct.Senders {
				if !strings.EqualFold(a, sh.User) {
					d.Senders = append(d.Senders, a)
				}
			}
		}
	}
	return d, true
}

func fillSettings(d *templates.SettingsData, st settings.Settings) {
	d.DisplayName, d.Signature, d.SignatureAbove = st.DisplayName, st.Signature, st.SignatureAbove
	d.RichText = st.RichText
	d.UILang, d.TimeZone, d.PerPage = st.Lang, st.TimeZone, st.PerPage
	d.UndoSeconds = int(st.Undo().Seconds())
	d.Layout, d.Grouping, d.AfterMove = settings.LayoutList, settings.GroupingOff, settings.AfterMoveList
	if st.ReadingPane() {
		d.Layout = settings.LayoutPanes
	}
	if st.Conversations() {
		d.Grouping = settings.GroupingOn
	}
	if st.NextAfterMove() {
		d.AfterMove = settings.AfterMoveNext
	}
	d.Identities = nil
	for _, id := range st.Identities {
		d.Identities = append(d.Identities, templates.Identity{Address: id.Address, Name: id.Name, ReplyTo: id.ReplyTo, Signature: id.Signature})
	}
	d.Identities = append(d.Identities, templates.Identity{}) // the row that adds one
}

// accountName is the display name the mail server has for the signed-in account,
// or "" (none, another server, or the directory unreachable: the From then
// carries the address alone, and the failure is logged).
func (h *Handlers) accountName(r *http.Request) string {
	if h.Directory == nil {
		return ""
	}
	s := session.FromContext(r.Context())
	if s == nil {
		return ""
	}
	acct, err := h.Directory.Account(r.Context(), s.User)
	if err != nil {
		h.Log.Warn("webmail: account name lookup failed", "user", s.User, "err", err)
		return ""
	}
	return acct.Name
}

// displayName is the name for the From of the signed-in user's mail: the one
// saved in the settings, else the mail server's.
func (h *Handlers) displayName(r *http.Request) string {
	if st := settings.FromContext(r.Context()); st.NameChosen {
		return st.DisplayName
	}
	return h.accountName(r)
}
