package mailbackend

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/cardstore"
	"github.com/yubinmail/yubin/mailbackend/checks"
	"github.com/yubinmail/yubin/mailbackend/config"
	"github.com/yubinmail/yubin/mailbackend/dav"
	"github.com/yubinmail/yubin/mailbackend/directory"
	"github.com/yubinmail/yubin/mailbackend/dnsresolve"
	"github.com/yubinmail/yubin/mailbackend/imapd"
	"github.com/yubinmail/yubin/mailbackend/metrics"
	"github.com/yubinmail/yubin/mailbackend/pop3d"
	"github.com/yubinmail/yubin/mailbackend/queue"
	"github.com/yubinmail/yubin/mailbackend/sieve/managesieve"
	"github.com/yubinmail/yubin/mailbackend/smtpd"
	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/mailbackend/tlsconf"
)

// Running is a started mail server.
type Running struct {
	Store *store.Store
	Auth  *auth.Authenticator
	Queue *queue.Queue
	TLS   *tls.Config
	// Certs is what TLS presents: the ACME manager when [tls] acme is on (the
	// webmail's HTTPS listener and HTTP-01 challenges use it too).
	Certs *Certificates
	// Directory is the LDAP account source ([ldap]); nil when url is empty.
	Directory *directory.Directory
	// Cards holds the accounts' address books (data_dir/contacts.db), and DAV
	// serves them over CardDAV; the caller mounts DAV on the web listener.
	Cards *cardstore.Store
	DAV   *dav.Server

	// What Reload swaps, and the configuration the server started with (to tell
	// which changed settings need a restart).
	cert     *tlsconf.Certificate
	smtp     *smtpd.Server // for Shutdown
	verifier *checks.Verifier
	started  *config.Config

	addrs   map[string]string
	closed  atomic.Bool
	closers []func() error
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	log     *slog.Logger
}

// Listener names, as in the [listen] section.
const (
	ListenSMTP        = "smtp"
	ListenSubmission  = "submission"
	ListenSubmissions = "submissions"
	ListenIMAP        = "imap"
	ListenIMAPS       = "imaps"
	ListenPOP3        = "pop3"
	ListenPOP3S       = "pop3s"
	ListenManageSieve = "managesieve"
)

// Start opens the spool in cfg.DataDir and starts everything cfg configures. A listen
// address with port 0 gets a free port; Addr tells which. On error nothing is left
// running.
func Start(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Running, error) {
	return StartWithMetrics(ctx, cfg, log, nil)
}

// StartWithMetrics is Start with the mail server's metrics (mailbackend/metrics)
// registered on reg: connections, logins, messages, sender checks, store latencies
// and the queue. A nil reg records nothing.
func StartWithMetrics(ctx context.Context, cfg *config.Config, log *slog.Logger, reg prometheus.Registerer) (*Running, error) {
	if log == nil {
		log = slog.Default()
	}
	st, err := store.Open(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("open store in %s: %w", cfg.DataDir, err)
	}
	st.SetLimits(storeLimits(cfg))
	r := &Running{Store: st, addrs: make(map[string]string), log: log}
	var stats *metrics.Mail
	if reg != nil {
		stats = metrics.New(reg)
		st.SetMetrics(stats)
		metrics.RegisterQueue(reg, func() (int, time.Time, error) {
			qctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return st.QueueStats(qctx)
		})
	}
	r.closers = append(r.closers, st.Close)
	ok := false
	defer func() {
		if !ok {
			r.Close()
		}
	}()

	for _, d := range cfg.Domains {
		if err := st.AddDomain(ctx, d); err != nil && !errors.Is(err, store.ErrExists) {
			return nil, fmt.Errorf("domain %s: %w", d, err)
		}
	}
	// One tls.Config for every listener, asking r.cert (or the ACME manager) at each
	// handshake so that Reload and renewals swap certificates under running listeners.
	if r.Certs, err = OpenCertificates(cfg, log); err != nil {
		return nil, err
	}
	r.cert = r.Certs.file
	r.TLS = r.Certs.TLS
	r.started = cfg
	r.Auth = auth.New(st, log, cfg.SMTP.PopBeforeSMTPMinutes)
	r.Auth.SetMetrics(stats)
	if r.Directory, err = OpenDirectory(cfg, st, log); err != nil {
		return nil, err
	}
	if r.Directory != nil {
		r.Auth.UseDirectory(r.Directory)
		r.closers = append(r.closers, r.Directory.Close)
	}
	if r.Cards, err = cardstore.Open(cfg.DataDir); err != nil {
		return nil, err
	}
	r.closers = append(r.closers, r.Cards.Close)
	r.DAV = dav.New(dav.Config{Auth: r.Auth, Cards: r.Cards, TrustProxy: cfg.Webmail.TrustProxy,
		Log: log.With("component", "carddav")})

	// Every local domain signs with its own DKIM keys: made by `yubin domain add`
	// or `yubin dns records`, else at the domain's first signed message (an
	// RSA-2048 key takes a moment to make; a start need not wait for it).
	keys := checks.OpenKeys(cfg.DataDir)
	res, err := dnsresolve.New(cfg.Delivery.Resolver)
	if err != nil {
		return nil, fmt.Errorf("delivery.resolver: %w", err)
	}
	// The checks ask the same names for every message of a sender: cache them.
	r.verifier = checks.New(cfg.Hostname, res.WithCache(10000), checksPolicy(cfg), st.IsLocalDomain, keys)

	r.Queue = queue.New(queue.Config{
		Hostname:          cfg.Hostname,
		Resolver:          cfg.Delivery.Resolver,
		Port:              cfg.Delivery.Port,
		Smarthost:         cfg.Delivery.Smarthost,
		SmarthostUser:     cfg.Delivery.SmarthostUser,
		SmarthostPassword: cfg.Delivery.SmarthostPassword,
		RetryFor:          time.Duration(cfg.Delivery.RetryDays) * 24 * time.Hour,
		DKIM:              keys,
		Metrics:           stats,
	}, st, log)
	runCtx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.Queue.Run(runCtx)
	}()
	if r.Certs.ACME != nil {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.Certs.ACME.Run(runCtx)
		}()
	}

	smtp := smtpd.New(smtpd.Config{
		Hostname:            cfg.Hostname,
		MaxMessageBytes:     cfg.SMTP.MaxMessageBytes,
		MaxRecipients:       cfg.SMTP.MaxRecipients,
		InboundPerIPPerHour: cfg.Limits.InboundPerIPPerHour,
		TLS:                 r.TLS,
		Checks:              r.verifier,
		DKIM:                keys,
		Directory:           r.Directory,
		Metrics:             stats,
	}, st, r.Auth, r.Queue, log)
	r.smtp = smtp
	imap := imapd.New(imapd.Config{
		TLS:             r.TLS,
		MaxMessageBytes: cfg.SMTP.MaxMessageBytes,
		Metrics:         stats,
	}, st, r.Auth, log.With("component", "imapd"))
	pop := pop3d.New(pop3d.Config{
		TLS:      r.TLS,
		Hostname: cfg.Hostname,
		Metrics:  stats,
	}, st, r.Auth, log.With("component", "pop3d"))
	sieveSrv := managesieve.New(managesieve.Config{TLS: r.TLS, Metrics: stats}, st, r.Auth, log.With("component", "managesieve"))
	// Servers close before the store (closers run in reverse).
	r.closers = append(r.closers, smtp.Close, imap.Close, pop.Close, sieveSrv.Close)

	listeners := []struct {
		name, addr string
		serve      func(net.Listener) error
	}{
		{ListenSMTP, cfg.Listen.SMTP, smtp.ServeMX},
		{ListenSubmission, cfg.Listen.Submission, smtp.ServeSubmission},
		{ListenSubmissions, cfg.Listen.Submissions, smtp.ServeSubmissions},
		{ListenIMAP, cfg.Listen.IMAP, imap.Serve},
		{ListenIMAPS, cfg.Listen.IMAPS, imap.ServeTLS},
		{ListenPOP3, cfg.Listen.POP3, pop.Serve},
		{ListenPOP3S, cfg.Listen.POP3S, pop.ServeTLS},
		{ListenManageSieve, cfg.Listen.ManageSieve, sieveSrv.Serve},
	}
	for _, l := range listeners {
		if l.addr == "" {
			continue
		}
		ln, err := Listen(cfg, l.addr)
		if err != nil {
			return nil, fmt.Errorf("listen.%s: %w", l.name, err)
		}
		r.addrs[l.name] = ln.Addr().String()
		r.wg.Add(1)
		go func(name string, serve func(net.Listener) error, ln net.Listener) {
			defer r.wg.Done()
			if err := serve(ln); err != nil && !errors.Is(err, net.ErrClosed) {
				log.Error("listener stopped", "listener", name, "err", err)
			}
		}(l.name, l.serve, ln)
	}
	ok = true
	return r, nil
}

// OpenDirectory returns the LDAP account source of cfg's [ldap] section, or nil when
// its url is empty. Nothing is dialled yet (yubin ldap test uses it too).
func OpenDirectory(cfg *config.Config, st *store.Store, log *slog.Logger) (*directory.Directory, error) {
	l := cfg.LDAP
	urls := l.URLs()
	if len(urls) == 0 {
		return nil, nil
	}
	password, err := l.Password()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	return directory.New(directory.Config{
		URLs:         urls,
		BindDN:       l.BindDN,
		BindPassword: password,
		BaseDN:       l.BaseDN,
		UserFilter:   l.UserFilter,
		GroupFilter:  l.GroupFilter,
		MailAttr:     l.MailAttr,
		NameAttr:     l.NameAttr,
		AliasAttr:    l.AliasAttr,
		CAFile:       l.TLSCA,
		CacheTTL:     time.Duration(l.CacheSeconds) * time.Second,
		Timeout:      time.Duration(l.TimeoutSeconds) * time.Second,
	}, st, log.With("component", "ldap"))
}

// Addr returns the bound address of a listener ("" when it is off).
func (r *Running) Addr(name string) string { return r.addrs[name] }

// Ready answers /readyz: nil while the listeners are up and the store answers a
// trivial query.
func (r *Running) Ready(ctx context.Context) error {
	if r.closed.Load() {
		return errors.New("mail server stopped")
	}
	return r.Store.Ping(ctx)
}

// DrainSMTP begins a graceful shutdown; Close ends it. SMTP's listeners stop
// accepting, sessions without an open transaction are told 421 and closed, and one
// with a transaction under way may finish it and get its reply until ctx ends
// (smtpd.Server.Shutdown). IMAP, POP3 and ManageSieve keep serving until Close (the
// webmail in the same process may still be finishing requests over IMAP), which
// then sends IMAP sessions BYE and ends POP3 sessions without applying their
// deletions (they never reach UPDATE).
func (r *Running) DrainSMTP(ctx context.Context) {
	r.closed.Store(true) // /readyz: not ready from now on
	if r.smtp != nil {
		r.smtp.Shutdown(ctx)
	}
}

// Close stops the listeners and the queue, then closes the store.
func (r *Running) Close() error {
	r.closed.Store(true)
	if r.cancel != nil {
		r.cancel()
	}
	var errs []error
	for i := len(r.closers) - 1; i >= 1; i-- {
		if err := r.closers[i](); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	r.wg.Wait()
	if len(r.closers) > 0 {
		errs = append(errs, r.closers[0]())
	}
	r.closers = nil
	return errors.Join(errs...)
}
