package handlers

import (
	"net/http"
	"strings"

	"github.com/yubinmail/yubin/templates"
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

// FolderCreate, FolderRename and FolderDelete manage folders and come back to the list.
func (h *Handlers) FolderCreate(w http.ResponseWriter, r *http.Request) {
	h.folderAction(w, r, func(r *http.Request) error {
		cl, _, err := h.client(r)
		if err != nil {
			return err
		}
		return cl.CreateFolder(r.Context(), strings.TrimSpace(r.PostFormValue("name")))
	}, strings.TrimSpace(r.PostFormValue("name")))
}

func (h *Handlers) FolderRename(w http.ResponseWriter, r *http.Request) {
	h.folderAction(w, r, func(r *http.Request) error {
		cl, _, err := h.client(r)
		if err != nil {
			return err
		}
		return cl.RenameFolder(r.Context(), r.PostFormValue("name"), strings.TrimSpace(r.PostFormValue("newname")))
	}, r.PostFormValue("name"), strings.TrimSpace(r.PostFormValue("newname")))
}

func (h *Handlers) FolderDelete(w http.ResponseWriter, r *http.Request) {
	h.folderAction(w, r, func(r *http.Request) error {
		cl, _, err := h.client(r)
		if err != nil {
			return err
		}
		return cl.DeleteFolder(r.Context(), r.PostFormValue("name"))
	}, r.PostFormValue("name"))
}

func (h *Handlers) folderAction(w http.ResponseWriter, r *http.Request, op func(*http.Request) error, names ...string) {
	for _, n := range names {
		if !validFolderName(n) {
			h.foldersPage(w, r, http.StatusBadRequest, Lang(r).T("err.badrequest"))
			return
		}
	}
	if err := op(r); err != nil {
		if isIMAPNo(err) {
			msg := imapText(err)
			if msg == "" {
				msg = Lang(r).T("err.server")
			}
			h.foldersPage(w, r, http.StatusBadRequest, msg)
			return
		}
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/folders?ok=done", http.StatusSeeOther)
}
