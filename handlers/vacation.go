package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/outofoffice"
	"github.com/yubinmail/yubin/web/session"
	"github.com/yubinmail/yubin/web/sieveclient"
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
	d.Days = outofoffice.DefaultDays
	if d.Available {
		sc, err := h.sieve(r)
		if err != nil {
			h.failSieve(w, r, err)
			return
		}
		defer sc.Close()
		saved, foreign, other, err := readVacation(sc)
		if err != nil {
			h.failSieve(w, r, err)
			return
		}
		setForm(&d, saved)
		d.Foreign, d.OtherActive = foreign, other
	}
	h.render(w, r, http.StatusOK, templates.Vacation(d))
}

// VacationSave writes the form as the webmail's Sieve script and, when the reply
// is on, makes that script the active one.
func (h *Handlers) VacationSave(w http.ResponseWriter, r *http.Request) {
	days, _ := strconv.Atoi(r.PostFormValue("days"))
	s := outofoffice.Settings{On: r.PostFormValue("on") != "", Start: r.PostFormValue("start"), End: r.PostFormValue("end"),
		Days: days, Subject: r.PostFormValue("subject"), Message: r.PostFormValue("message")}
	if !h.Sieve.Available() {
		h.Error(w, r, http.StatusServiceUnavailable, "ooo.unavailable")
		return
	}
	if err := s.Normalize(); err != nil {
		var p *outofoffice.Problem
		if !errors.As(err, &p) {
			h.fail(w, r, err)
			return
		}
		d, ok := h.vacationShell(w, r)
		if !ok {
			return
		}
		setForm(&d, s)
		d.Problem = p.Key
		h.render(w, r, http.StatusBadRequest, templates.Vacation(d))
		return
	}
	sc, err := h.sieve(r)
	if err != nil {
		h.failSieve(w, r, err)
		return
	}
	defer sc.Close()
	if err := sc.PutScript(outofoffice.ScriptName, outofoffice.Script(s)); err != nil {
		h.failSieve(w, r, err)
		return
	}
	if s.On {
		// ManageSieve has one active script per user (RFC 5804 section 2.8).
		if err := sc.SetActive(outofoffice.ScriptName); err != nil {
			h.failSieve(w, r, err)
			return
		}
	}
	h.Log.Info("webmail out-of-office saved", "ip", ClientIP(r), "user", session.FromContext(r.Context()).User, "on", s.On)
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
	return templates.VacationData{Shell: sh, Available: h.Sieve.Available()}, true
}

func setForm(d *templates.VacationData, s outofoffice.Settings) {
	d.On, d.Start, d.End, d.Subject, d.Message = s.On, s.Start, s.End, s.Subject, s.Message
	if s.Days > 0 {
		d.Days = s.Days
	}
}

// readVacation reads the webmail's script back: its settings, whether it was
// edited elsewhere (foreign), and the name of another script that is active.
func readVacation(sc *sieveclient.Client) (s outofoffice.Settings, foreign bool, otherActive string, err error) {
	scripts, err := sc.ListScripts()
	if err != nil {
		return s, false, "", err
	}
	exists := false
	for _, x := range scripts {
		if x.Name == outofoffice.ScriptName {
			exists = true
		} else if x.Active {
			otherActive = x.Name
		}
	}
	if !exists {
		return s, false, otherActive, nil
	}
	text, err := sc.GetScript(outofoffice.ScriptName)
	if err != nil {
		return s, false, otherActive, err
	}
	s, ok := outofoffice.Parse(text)
	return s, !ok, otherActive, nil
}

// sieve signs in to ManageSieve as the session's user, with the password the
// session keeps for its IMAP connection.
func (h *Handlers) sieve(r *http.Request) (*sieveclient.Client, error) {
	s := session.FromContext(r.Context())
	if s == nil {
		return nil, errNoSession
	}
	pw, err := s.Password()
	if err != nil {
		return nil, err
	}
	return h.Sieve.Dial(r.Context(), s.User, pw)
}

// failSieve maps a ManageSieve failure onto the webmail's error pages: a refused
// password ends the session like a refused IMAP login.
func (h *Handlers) failSieve(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, sieveclient.ErrAuth) {
		err = fmt.Errorf("%w: managesieve", mailclient.ErrAuth)
	}
	h.fail(w, r, err)
}
