package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/yubinmail/yubin/templates"
	"github.com/yubinmail/yubin/web/mailclient"
)

// FoldersPage lists the folders that may be renamed or deleted (not INBOX, not the
// special-use ones) and a form to create one.
func (h *Handlers) FoldersPage(w http.ResponseWriter, r *http.Request) {
	h.foldersPage(w, r, http.StatusOK, "")
}

func (h *Handlers) foldersPage(w http.ResponseWriter, r *http.Request, status int, problem string) {
	cl, _, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	l := Lang(r)
	sh, folders, err := h.shell(r.Context(), r, cl, l.T("fld.title"), "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sh.Error = problem
	d := templates.FoldersData{Shell: sh}
	for i, f := range folders {
		if f.SpecialUse == "" && !f.NoSelect {
			d.Editable = append(d.Editable, sh.Folders[i])
		}
	}
	h.render(w, r, status, templates.Folders(d))
}

func validFolderName(name string) bool {
	return name != "" && len(name) <= 200 && !strings.ContainsAny(name, "\r\n\x00*%") && !strings.EqualFold(name, "INBOX")
}

// FolderCreate, FolderRename and FolderDelete manage folders and come back to the
// list, saying what they did. Deleting a folder first moves its messages to Trash
// (mailclient.DeleteFolderKeepingMail): deleting a folder never destroys mail.
func (h *Handlers) FolderCreate(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	h.folderAction(w, r, func(cl *mailclient.Client) (url.Values, error) {
		return url.Values{"ok": {"fcreated"}, "to": {name}}, cl.CreateFolder(r.Context(), name)
	}, name)
}

func (h *Handlers) FolderRename(w http.ResponseWriter, r *http.Request) {
	name, newName := r.PostFormValue("name"), strings.TrimSpace(r.PostFormValue("newname"))
	h.folderAction(w, r, func(cl *mailclient.Client) (url.Values, error) {
		return url.Values{"ok": {"frenamed"}, "to": {newName}}, cl.RenameFolder(r.Context(), name, newName)
	}, name, newName)
}

func (h *Handlers) FolderDelete(w http.ResponseWriter, r *http.Request) {
	name := r.PostFormValue("name")
	h.folderAction(w, r, func(cl *mailclient.Client) (url.Values, error) {
		n, err := cl.DeleteFolderKeepingMail(r.Context(), name)
		return url.Values{"ok": {"fdeleted"}, "to": {name}, "n": {strconv.Itoa(n)}}, err
	}, name)
}

func (h *Handlers) folderAction(w http.ResponseWriter, r *http.Request, op func(*mailclient.Client) (url.Values, error), names ...string) {
	for _, n := range names {
		if !validFolderName(n) {
			h.foldersPage(w, r, http.StatusBadRequest, Lang(r).T("err.badrequest"))
			return
		}
	}
	cl, _, err := h.client(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	done, err := op(cl)
	if err != nil {
		if words, ok := imapWords(Lang(r), err); ok {
			h.Log.Info("imap refused folder change", "ip", ClientIP(r), "err", err)
			h.foldersPage(w, r, http.StatusBadRequest, words)
			return
		}
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/folders?"+done.Encode(), http.StatusSeeOther)
}
