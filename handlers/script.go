package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/session"
	"github.com/yubinmail/yubin/web/sieveclient"
	"github.com/yubinmail/yubin/web/sieveform"
)

// maxScriptName bounds a script's name in the editor.
const maxScriptName = 128

// ScriptPage is the raw Sieve editor: ?name= picks a script, else the active
// one, else the webmail's own.
func (h *Handlers) ScriptPage(w http.ResponseWriter, r *http.Request) {
	d, ok := h.scriptShell(w, r)
	if !ok {
		return
	}
	if r.URL.Query().Get("ok") == "scr" {
		d.Flash = d.Lang.T("scr.saved")
	}
	if !d.Available {
		h.render(w, r, http.StatusOK, templates.Script(d))
		return
	}
	sc, err := h.sieve(r)
	if err != nil {
		h.failSieve(w, r, err)
		return
	}
	defer sc.Close()
	scripts, err := sc.ListScripts()
	if err != nil {
		h.failSieve(w, r, err)
		return
	}
	d.Name = r.URL.Query().Get("name")
	for _, s := range scripts {
		if d.Name == "" && s.Active {
			d.Name = s.Name
		}
	}
	if d.Name == "" {
		d.Name = sieveform.ScriptName
	}
	setScriptList(&d, scripts)
	for _, s := range scripts {
		if s.Name == d.Name {
			text, err := sc.GetScript(s.Name)
			if err != nil {
				h.failSieve(w, r, err)
				return
			}
			// Sieve lines end in CRLF (RFC 5228 section 2.2); the browser's in LF.
			d.Text = strings.ReplaceAll(text, "\r\n", "\n")
		}
	}
	h.render(w, r, http.StatusOK, templates.Script(d))
}

// ScriptSave uploads the text; the server refuses a script that does not parse
// and its error (line and column) is shown above the text, which is kept.
func (h *Handlers) ScriptSave(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	text := strings.ReplaceAll(r.PostFormValue("text"), "\r\n", "\n")
	activate := r.PostFormValue("activate") != ""
	if !h.Sieve.Available() {
		h.Error(w, r, http.StatusServiceUnavailable, "ooo.unavailable")
		return
	}
	if name == "" || len(name) > maxScriptName || strings.ContainsAny(name, "\r\n\x00") {
		h.Error(w, r, http.StatusBadRequest, "err.notfound")
		return
	}
	sc, err := h.sieve(r)
	if err != nil {
		h.failSieve(w, r, err)
		return
	}
	defer sc.Close()
	err = sc.PutScript(name, strings.ReplaceAll(text, "\n", "\r\n"))
	if err == nil && activate {
		err = sc.SetActive(name)
	}
	var se *sieveclient.Error
	if errors.As(err, &se) {
		d, ok := h.scriptShell(w, r)
		if !ok {
			return
		}
		d.Name, d.Text, d.Active, d.Problem = name, text, activate, se.Text
		if scripts, err := sc.ListScripts(); err == nil {
			setScriptList(&d, scripts)
		}
		h.render(w, r, http.StatusBadRequest, templates.Script(d))
		return
	}
	if err != nil {
		h.failSieve(w, r, err)
		return
	}
	h.Log.Info("webmail sieve script saved", "ip", ClientIP(r), "user", session.FromContext(r.Context()).User, "name", name, "activate", activate)
	http.Redirect(w, r, "/settings/script?"+url.Values{"name": {name}, "ok": {"scr"}}.Encode(), http.StatusSeeOther)
}

func (h *Handlers) scriptShell(w http.ResponseWriter, r *http.Request) (templates.ScriptData, bool) {
	cl, _, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return templates.ScriptData{}, false
	}
	sh, _, err := h.shell(r.Context(), r, cl, Lang(r).T("scr.title"), "")
	if err != nil {
		h.fail(w, r, err)
		return templates.ScriptData{}, false
	}
	return templates.ScriptData{Shell: sh, Available: h.Sieve.Available()}, true
}

func setScriptList(d *templates.ScriptData, scripts []sieveclient.Script) {
	d.Scripts = nil
	for _, s := range scripts {
		d.Scripts = append(d.Scripts, templates.ScriptLink{Name: s.Name, Active: s.Active,
			URL: "/settings/script?" + url.Values{"name": {s.Name}}.Encode()})
		if s.Name == d.Name && s.Active {
			d.Active = true
		}
	}
}
