package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/session"
	"github.com/yubinmail/yubin/web/sieveform"
)

// FiltersPage lists the filing rules kept in the webmail's Sieve script.
func (h *Handlers) FiltersPage(w http.ResponseWriter, r *http.Request) {
	d, ok := h.filtersShell(w, r)
	if !ok {
		return
	}
	if r.URL.Query().Get("ok") == "flt" {
		d.Flash = d.Lang.T("flt.saved")
	}
	if d.Available {
		st, err := h.readSettings(r)
		if err != nil {
			h.failSieve(w, r, err)
			return
		}
		setRules(&d, st)
	}
	h.render(w, r, http.StatusOK, templates.Filters(d))
}

// FilterAdd appends a rule; a rule that needs fixing comes back in the form.
func (h *Handlers) FilterAdd(w http.ResponseWriter, r *http.Request) {
	rule := sieveform.Rule{Field: r.PostFormValue("field"), Header: r.PostFormValue("header"),
		Contains: r.PostFormValue("contains"), Action: r.PostFormValue("action"), Folder: r.PostFormValue("folder")}
	if !h.Sieve.Available() {
		h.Error(w, r, http.StatusServiceUnavailable, "ooo.unavailable")
		return
	}
	err := h.updateSettings(r, func(f *sieveform.Form) error {
		if err := rule.Normalize(); err != nil {
			return err
		}
		f.Rules = append(f.Rules, rule)
		return nil
	})
	var p *sieveform.Problem
	if errors.As(err, &p) {
		d, ok := h.filtersShell(w, r)
		if !ok {
			return
		}
		if st, err := h.readSettings(r); err == nil {
			setRules(&d, st)
		}
		d.Field, d.Header, d.Contains, d.Action, d.Folder, d.Problem = rule.Field, rule.Header, rule.Contains, rule.Action, rule.Folder, p.Key
		h.render(w, r, http.StatusBadRequest, templates.Filters(d))
		return
	}
	if err != nil {
		h.failSieve(w, r, err)
		return
	}
	h.Log.Info("webmail filter added", "ip", ClientIP(r), "user", session.FromContext(r.Context()).User)
	http.Redirect(w, r, "/settings/filters?ok=flt", http.StatusSeeOther)
}

// FilterDelete removes the rule at index; an index past the end changes nothing.
func (h *Handlers) FilterDelete(w http.ResponseWriter, r *http.Request) {
	i, err := strconv.Atoi(r.PostFormValue("index"))
	if err != nil || !h.Sieve.Available() {
		h.Error(w, r, http.StatusBadRequest, "err.notfound")
		return
	}
	err = h.updateSettings(r, func(f *sieveform.Form) error {
		if i >= 0 && i < len(f.Rules) {
			f.Rules = append(f.Rules[:i], f.Rules[i+1:]...)
		}
		return nil
	})
	if err != nil {
		h.failSieve(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings/filters?ok=flt", http.StatusSeeOther)
}

// FilterChange moves a rule up or down, or turns it off or on again; an index
// or move past the ends changes nothing.
func (h *Handlers) FilterChange(w http.ResponseWriter, r *http.Request) {
	i, err := strconv.Atoi(r.PostFormValue("index"))
	op := r.PostFormValue("op")
	if err != nil || !h.Sieve.Available() || (op != "up" && op != "down" && op != "toggle") {
		h.Error(w, r, http.StatusBadRequest, "err.notfound")
		return
	}
	err = h.updateSettings(r, func(f *sieveform.Form) error {
		if i < 0 || i >= len(f.Rules) {
			return nil
		}
		switch j := i - 1; {
		case op == "toggle":
			f.Rules[i].Off = !f.Rules[i].Off
		case op == "up" && j >= 0:
			f.Rules[i], f.Rules[j] = f.Rules[j], f.Rules[i]
		case op == "down" && i+1 < len(f.Rules):
			f.Rules[i], f.Rules[i+1] = f.Rules[i+1], f.Rules[i]
		}
		return nil
	})
	if err != nil {
		h.failSieve(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings/filters?ok=flt", http.StatusSeeOther)
}

// filtersShell is the page's frame with the folder names for suggestions, or
// false after an error page was written.
func (h *Handlers) filtersShell(w http.ResponseWriter, r *http.Request) (templates.FiltersData, bool) {
	cl, _, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return templates.FiltersData{}, false
	}
	l := Lang(r)
	sh, folders, err := h.shell(r.Context(), r, cl, l.T("flt.title"), "")
	if err != nil {
		h.fail(w, r, err)
		return templates.FiltersData{}, false
	}
	d := templates.FiltersData{Shell: sh, Available: h.Sieve.Available(), Field: "from", Action: "move"}
	for _, f := range sieveform.Fields {
		d.Fields = append(d.Fields, templates.FilterField{Value: f, Label: l.T("flt.field." + f)})
	}
	for _, a := range sieveform.Actions {
		d.Actions = append(d.Actions, templates.FilterField{Value: a, Label: l.T("flt.act." + a)})
	}
	for _, f := range folders {
		if !f.NoSelect {
			d.Folders = append(d.Folders, f.Name)
		}
	}
	return d, true
}

func setRules(d *templates.FiltersData, st sieveSettings) {
	for i, r := range st.form.Rules {
		d.Rules = append(d.Rules, templates.FilterRule{Index: i, Field: r.Field, Header: r.Header, Contains: r.Contains, Folder: r.Folder, Action: r.Action, Off: r.Off})
	}
	d.Foreign, d.OtherActive = st.foreign, st.otherActive
}
