package admin

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/queue"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// overviewData is the first page: domains, the queue in one line, recent failures.
type overviewData struct {
	page
	Domains    []string
	QueueLen   int
	Oldest     time.Time
	Failures   []queue.Failure
	DNSEnabled bool
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	s.overviewPage(w, r, s.page(w, r, "overview"), http.StatusOK)
}

func (s *Server) overviewPage(w http.ResponseWriter, r *http.Request, p page, status int) {
	ctx := r.Context()
	d := overviewData{page: p, DNSEnabled: s.cfg.DNS != nil}
	var err error
	if d.Domains, err = s.cfg.Store.Domains(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.QueueLen, d.Oldest, err = s.cfg.Store.QueueStats(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	if s.cfg.Queue != nil {
		d.Failures = s.cfg.Queue.Failures()
	}
	s.render(w, r, status, overviewPage(d))
}

func (s *Server) addDomain(w http.ResponseWriter, r *http.Request) {
	name := strings.ToLower(strings.TrimSpace(r.PostFormValue("domain")))
	if err := s.cfg.Store.AddDomain(r.Context(), name); err != nil {
		s.overviewPage(w, r, s.failed(w, r, "overview", err), statusOf(err))
		return
	}
	s.log.Info("admin: domain added", "domain", name)
	done(w, r, Prefix, "domain.added", name)
}

func (s *Server) deleteDomain(w http.ResponseWriter, r *http.Request) {
	name := r.PostFormValue("domain")
	if err := s.cfg.Store.DeleteDomain(r.Context(), name); err != nil {
		s.overviewPage(w, r, s.failed(w, r, "overview", err), statusOf(err))
		return
	}
	s.log.Info("admin: domain removed", "domain", name)
	done(w, r, Prefix, "domain.deleted", name)
}

// userRow is one account on the Users page.
type userRow struct {
	Address, Name string
	Directory     bool // an LDAP user's mailbox: no local password
	Disabled      bool
	Usage         string
}

type usersData struct {
	page
	Users []userRow
}

func (s *Server) users(w http.ResponseWriter, r *http.Request) {
	s.usersPage(w, r, s.page(w, r, "users"), http.StatusOK)
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, p page, status int) {
	ctx := r.Context()
	accts, err := s.cfg.Store.Accounts(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := usersData{page: p}
	for _, a := range accts {
		q, err := s.cfg.Store.Usage(ctx, a.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Users = append(d.Users, userRow{Address: a.Address, Name: a.DisplayName,
			Directory: a.PasswordHash == "", Disabled: auth.Disabled(a.PasswordHash), Usage: usageText(p.L, q)})
	}
	s.render(w, r, status, usersPage(d))
}

// usageText is "used / limit", e.g. "1.2 MiB / 2.0 GiB".
func usageText(l lang, q store.Quota) string {
	limit := l.T("unlimited")
	if q.Limit > 0 {
		limit = humanize.IBytes(uint64(q.Limit))
	}
	return humanize.IBytes(uint64(q.Used)) + " / " + limit
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request) {
	addr := strings.TrimSpace(r.PostFormValue("address"))
	pw, generated := r.PostFormValue("password"), false
	if pw == "" {
		pw, generated = auth.RandomPassword(), true
	}
	hash, err := auth.HashPassword(pw)
	if err == nil {
		var acct *store.Account
		if acct, err = s.cfg.Store.AddAccount(r.Context(), addr, hash, strings.TrimSpace(r.PostFormValue("name"))); err == nil {
			addr = acct.Address
		}
	}
	if err != nil {
		s.usersPage(w, r, s.failed(w, r, "users", err), statusOf(err))
		return
	}
	s.log.Info("admin: user added", "user", addr)
	if generated {
		s.showPassword(w, r, addr, pw)
		return
	}
	done(w, r, Prefix+"users", "user.added", addr)
}

// showPassword answers with the Users page and a password made for addr: once,
// in the page itself (never in a URL, which logs and history keep).
func (s *Server) showPassword(w http.ResponseWriter, r *http.Request, addr, pw string) {
	p := s.page(w, r, "users")
	p.Flash = flash{Text: p.L.Tf("user.newpw", addr, pw)}
	s.usersPage(w, r, p, http.StatusOK)
}

// localAccount is the account a POST names, refused for a directory user (whose
// password and state live in the directory).
func (s *Server) localAccount(w http.ResponseWriter, r *http.Request) (*store.Account, bool) {
	acct, err := s.cfg.Store.AccountByAddress(r.Context(), r.PostFormValue("address"))
	if err != nil {
		s.usersPage(w, r, s.failed(w, r, "users", err), statusOf(err))
		return nil, false
	}
	if acct.PasswordHash == "" {
		p := s.page(w, r, "users")
		p.Flash = flash{Text: p.L.Tf("user.ldapnopw", acct.Address), Error: true}
		s.usersPage(w, r, p, http.StatusConflict)
		return nil, false
	}
	return acct, true
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) {
	acct, ok := s.localAccount(w, r)
	if !ok {
		return
	}
	pw, generated := r.PostFormValue("password"), false
	if pw == "" {
		pw, generated = auth.RandomPassword(), true
	}
	hash, err := auth.HashPassword(pw)
	if err == nil {
		if auth.Disabled(acct.PasswordHash) {
			hash = auth.DisabledHash(hash) // a new password does not enable the account
		}
		err = s.cfg.Store.SetPasswordHash(r.Context(), acct.Address, hash)
	}
	if err != nil {
		s.usersPage(w, r, s.failed(w, r, "users", err), statusOf(err))
		return
	}
	s.log.Info("admin: password reset", "user", acct.Address)
	if generated {
		s.showPassword(w, r, acct.Address, pw)
		return
	}
	done(w, r, Prefix+"users", "user.pwchanged", acct.Address)
}

func (s *Server) setQuota(w http.ResponseWriter, r *http.Request) {
	addr := r.PostFormValue("address")
	text := strings.TrimSpace(r.PostFormValue("quota"))
	setting, ok := store.ParseQuota(text)
	if !ok {
		p := s.page(w, r, "users")
		p.Flash = flash{Text: p.L.Tf("user.badquota", text), Error: true}
		s.usersPage(w, r, p, http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	err := s.cfg.Store.SetQuota(ctx, addr, setting)
	var acct *store.Account
	var q store.Quota
	if err == nil {
		if acct, err = s.cfg.Store.AccountByAddress(ctx, addr); err == nil {
			q, err = s.cfg.Store.Usage(ctx, acct.ID)
		}
	}
	if err != nil {
		s.usersPage(w, r, s.failed(w, r, "users", err), statusOf(err))
		return
	}
	s.log.Info("admin: quota set", "user", acct.Address, "bytes", setting)
	done(w, r, Prefix+"users", "user.quotaset", acct.Address+" "+usageText(pickLang(r.Header.Get("Accept-Language")), q))
}

func (s *Server) disableUser(w http.ResponseWriter, r *http.Request) {
	s.setDisabled(w, r, true)
}

func (s *Server) enableUser(w http.ResponseWriter, r *http.Request) {
	s.setDisabled(w, r, false)
}

// setDisabled marks the account's password hash (auth.DisabledHash): its logins
// fail from now on and its open sessions end within seconds, as after a password
// change.
func (s *Server) setDisabled(w http.ResponseWriter, r *http.Request, disable bool) {
	acct, ok := s.localAccount(w, r)
	if !ok {
		return
	}
	hash, key := auth.EnabledHash(acct.PasswordHash), "user.enabledok"
	if disable {
		hash, key = auth.DisabledHash(acct.PasswordHash), "user.disabledok"
	}
	if err := s.cfg.Store.SetPasswordHash(r.Context(), acct.Address, hash); err != nil {
		s.usersPage(w, r, s.failed(w, r, "users", err), statusOf(err))
		return
	}
	s.log.Info("admin: account state", "user", acct.Address, "disabled", disable)
	done(w, r, Prefix+"users", key, acct.Address)
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	addr := r.PostFormValue("address")
	if err := s.cfg.Store.DeleteAccount(r.Context(), addr); err != nil {
		s.usersPage(w, r, s.failed(w, r, "users", err), statusOf(err))
		return
	}
	s.log.Info("admin: user deleted", "user", addr)
	done(w, r, Prefix+"users", "user.deleted", addr)
}

type aliasesData struct {
	page
	Aliases []store.Alias
}

func (s *Server) aliases(w http.ResponseWriter, r *http.Request) {
	s.aliasesPage(w, r, s.page(w, r, "aliases"), http.StatusOK)
}

func (s *Server) aliasesPage(w http.ResponseWriter, r *http.Request, p page, status int) {
	as, err := s.cfg.Store.Aliases(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, aliasesPage(aliasesData{page: p, Aliases: as}))
}

func (s *Server) addAlias(w http.ResponseWriter, r *http.Request) {
	addr := strings.ToLower(strings.TrimSpace(r.PostFormValue("address")))
	targets := strings.FieldsFunc(r.PostFormValue("targets"), func(c rune) bool { return c == ',' || c == ' ' || c == '\n' || c == '\r' })
	if err := s.cfg.Store.AddAlias(r.Context(), addr, targets); err != nil {
		s.aliasesPage(w, r, s.failed(w, r, "aliases", err), statusOf(err))
		return
	}
	s.log.Info("admin: alias added", "alias", addr, "targets", len(targets))
	done(w, r, Prefix+"aliases", "alias.added", addr)
}

func (s *Server) deleteAlias(w http.ResponseWriter, r *http.Request) {
	addr := r.PostFormValue("address")
	if err := s.cfg.Store.DeleteAlias(r.Context(), addr); err != nil {
		s.aliasesPage(w, r, s.failed(w, r, "aliases", err), statusOf(err))
		return
	}
	s.log.Info("admin: alias removed", "alias", addr)
	done(w, r, Prefix+"aliases", "alias.deleted", addr)
}

// failed is the page frame with err as its flash: the store's own words for a
// bad address or name, a translated line for the common cases.
func (s *Server) failed(w http.ResponseWriter, r *http.Request, nav string, err error) page {
	p := s.page(w, r, nav)
	p.Flash = flash{Text: p.L.Tf("err.generic", err.Error()), Error: true}
	switch {
	case errors.Is(err, store.ErrNotFound):
		p.Flash.Text = p.L.T("err.notfound")
	case errors.Is(err, store.ErrExists):
		p.Flash.Text = p.L.T("err.exists")
	}
	return p
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, store.ErrExists):
		return http.StatusConflict
	}
	return http.StatusBadRequest
}

// fail answers a page that could not be built (the store did not answer).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("admin page", "path", r.URL.Path, "err", err)
	http.Error(w, "the spool did not answer; see the log", http.StatusInternalServerError)
}
