package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/yubinmail/yubin/web/cardclient"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/session"
	"github.com/yubinmail/yubin/web/sieveclient"
	"github.com/yubinmail/yubin/web/sieveform"
)

// sieveSettings is what the settings pages read from ManageSieve: the form kept
// in the webmail's script, whether that script was edited elsewhere (foreign),
// and the name of another script that is active.
type sieveSettings struct {
	form        sieveform.Form
	foreign     bool
	otherActive string
}

// readSettings signs in to ManageSieve and reads the webmail's script back.
func (h *Handlers) readSettings(r *http.Request) (sieveSettings, error) {
	sc, err := h.sieve(r)
	if err != nil {
		return sieveSettings{}, err
	}
	defer sc.Close()
	return readScript(sc)
}

func readScript(sc *sieveclient.Client) (st sieveSettings, err error) {
	scripts, err := sc.ListScripts()
	if err != nil {
		return st, err
	}
	exists := false
	for _, x := range scripts {
		if x.Name == sieveform.ScriptName {
			exists = true
		} else if x.Active {
			st.otherActive = x.Name
		}
	}
	if !exists {
		return st, nil
	}
	text, err := sc.GetScript(sieveform.ScriptName)
	if err != nil {
		return st, err
	}
	var ok bool
	st.form, ok = sieveform.Parse(text)
	st.foreign = !ok
	return st, nil
}

// updateSettings reads the form, lets change edit it, and writes the script
// back, active when it does anything (ManageSieve has one active script per
// user, RFC 5804 section 2.8). A script edited elsewhere is replaced, as the
// pages warn.
func (h *Handlers) updateSettings(r *http.Request, change func(*sieveform.Form) error) error {
	sc, err := h.sieve(r)
	if err != nil {
		return err
	}
	defer sc.Close()
	st, err := readScript(sc)
	if err != nil {
		return err
	}
	f := st.form
	if err := change(&f); err != nil {
		return err
	}
	if err := h.fillSenders(r, &f.Vacation); err != nil {
		return err
	}
	if err := f.Normalize(); err != nil {
		return err
	}
	if err := sc.PutScript(sieveform.ScriptName, sieveform.Script(f)); err != nil {
		return err
	}
	if f.Active() {
		return sc.SetActive(sieveform.ScriptName)
	}
	return nil
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

// fillSenders puts the addresses of the user's contacts (the "Contacts" book, read
// anew over CardDAV) into a reply that answers contacts only; every save of the
// script does, so a rule saved on the Filters page keeps the list current too.
func (h *Handlers) fillSenders(r *http.Request, v *sieveform.Vacation) error {
	if !v.On || !v.ContactsOnly {
		return nil
	}
	s := session.FromContext(r.Context())
	if s == nil {
		return errNoSession
	}
	all, err := h.ContactCache.Refresh(r.Context(), s.User, func() (*cardclient.Client, error) { return h.cardClient(r) })
	if err != nil {
		return fmt.Errorf("contacts for the out-of-office reply: %w", err)
	}
	v.Senders = nil
	for _, c := range all {
		if c.Book == cardclient.KindContacts {
			v.Senders = append(v.Senders, c.Emails...)
		}
	}
	return nil
}

// refreshSenders rewrites the script after the webmail changed the user's contacts,
// when its reply answers contacts only (a contact added in the webmail is answered
// from then on; one added on a phone, from the next save of either settings page).
func (h *Handlers) refreshSenders(r *http.Request) {
	if !h.Sieve.Available() {
		return
	}
	sc, err := h.sieve(r)
	if err != nil {
		h.Log.Warn("webmail: out-of-office contacts not refreshed", "ip", ClientIP(r), "err", err)
		return
	}
	st, err := readScript(sc)
	sc.Close()
	if err != nil || st.foreign || !st.form.Vacation.On || !st.form.Vacation.ContactsOnly {
		return
	}
	if err := h.updateSettings(r, func(*sieveform.Form) error { return nil }); err != nil {
		h.Log.Warn("webmail: out-of-office contacts not refreshed", "ip", ClientIP(r), "err", err)
	}
}
