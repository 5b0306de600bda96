package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/session"
	"github.com/yubinmail/yubin/web/sieveform"
)

// VacationPage shows the Out-of-office form with the settings saved on the
// server, read back over ManageSieve from the webmail's script.
func (h *Handlers) VacationPage(w http.ResponseWriter, r *http.Request) {
	d, ok := h.vacationShell(w, r)
	if !ok {
		return
	}
	if r.URL.Query().Get("ok") == "ooo" {
		d.Flash = d.Lang.T("ooo.saved")
	}
	d.Days = sieveform.DefaultDays
	if d.Available {
		st, err := h.readSettings(r)
		if err != nil {
			h.failSieve(w, r, err)
			return
		}
		setVacationForm(&d, st.form.Vacation)
		d.Foreign, d.OtherActive = st.foreign, st.otherActive
	}
	h.render(w, r, http.StatusOK, templates.Vacation(d))
}

// VacationSave writes the form into the webmail's Sieve script, keeping its
// filter rules, and makes the script the active one when it does anything.
func (h *Handlers) VacationSave(w http.ResponseWriter, r *http.Request) {
	days, _ := strconv.Atoi(r.PostFormValue("days"))
	v := sieveform.Vacation{On: r.PostFormValue("on") != "", Start: r.PostFormValue("start"), End: r.PostFormValue("end"),
		Days: days, Subject: r.PostFormValue("subject"), Message: r.PostFormValue("message"),
		ContactsOnly: r.PostFormValue("contacts_only") != "" && h.Contacts.Available()}
	if !h.Sieve.Available() {
		h.Error(w, r, http.StatusServiceUnavailable, "ooo.unavailable")
		return
	}
	if err := v.Normalize(); err != nil {
		var p *sieveform.Problem
		if !errors.As(err, &p) {
			h.fail(w, r, err)
			return
		}
		d, ok := h.vacationShell(w, r)
		if !ok {
			return
		}
		setVacationForm(&d, v)
		d.Problem = p.Key
		h.render(w, r, http.StatusBadRequest, templates.Vacation(d))
		return
	}
	err := h.updateSettings(r, func(f *sieveform.Form) error {
		f.Vacation = v
		return nil
	})
	if err != nil {
		h.failSieve(w, r, err)
		return
	}
	h.Log.Info("webmail out-of-office saved", "ip", ClientIP(r), "user", session.FromContext(r.Context()).User, "on", v.On)
	http.Redirect(w, r, "/settings/vacation?ok=ooo", http.StatusSeeOther)
}

// vacationShell is the page's frame, or false after an error page was written.
func (h *Handlers) vacationShell(w http.ResponseWriter, r *http.Request) (templates.VacationData, bool) {
	cl, _, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return templates.VacationData{}, false
	}
	sh, _, err := h.shell(r.Context(), r, cl, Lang(r).T("ooo.title"), "")
	if err != nil {
		h.fail(w, r, err)
		return templates.VacationData{}, false
	}
	return templates.VacationData{Shell: sh, Available: h.Sieve.Available(), ContactsAvailable: h.Contacts.Available()}, true
}

func setVacationForm(d *templates.VacationData, v sieveform.Vacation) {
	d.On, d.Start, d.End, d.Subject, d.Message, d.ContactsOnly = v.On, v.Start, v.End, v.Subject, v.Message, v.ContactsOnly
	if v.Days > 0 {
		d.Days = v.Days
	}
}
