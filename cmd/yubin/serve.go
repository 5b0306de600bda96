package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yubinmail/yubin/internal/mailaddr"
	"github.com/yubinmail/yubin/mailbackend"
	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/config"
	"github.com/yubinmail/yubin/mailbackend/dav"
	"github.com/yubinmail/yubin/mailbackend/metrics"
	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/web"
	"github.com/yubinmail/yubin/web/autoconfig"
)

// Demo account of --dev.
const (
	demoAddress  = "demo@localhost"
	demoPassword = "demo"
)

// serveCommand runs the mail server, the webmail, or both until SIGINT/SIGTERM.
func serveCommand(args []string, stdout io.Writer, withMail, withWeb bool) error {
	f, pos, err := parseArgs("serve", args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("serve: unexpected argument %q", pos[0])}
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	if f.user != "" {
		// Started as root to bind the low ports: bind them all now, then become
		// the user before anything else runs (the spool is opened, and its files
		// made, as that user).
		if os.Geteuid() != 0 {
			return fmt.Errorf("serve: --user %s needs to be started as root (it binds the listeners, then gives up root)", f.user)
		}
		if err := mailbackend.BindAll(cfg); err != nil {
			return err
		}
		if err := dropPrivileges(f.user); err != nil {
			return err
		}
	}
	if err := refuseRoot(cfg, os.Geteuid(), f.allowRoot); err != nil {
		return err
	}
	log := newLogger(cfg.LogFormat, os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// SIGHUP (systemctl reload) re-reads what can change under running listeners;
	// registered now so that an early one does not kill the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data_dir: %w", err)
	}
	// One registry per process: the mail server's and the webmail's metrics side
	// by side, with the Go runtime and process collectors.
	var reg *prometheus.Registry
	if cfg.Listen.Metrics != "" {
		reg = metrics.NewRegistry()
	}
	var mail *mailbackend.Running
	if withMail {
		// Without the webmail the HTTP listener is not ours to open.
		mail, err = mailbackend.StartWithMetrics(ctx, cfg, log, registerer(reg))
		if err != nil {
			return err
		}
		defer mail.Close()
		if cfg.Dev {
			if err := ensureDemoAccount(ctx, mail.Store); err != nil {
				return err
			}
		}
	}

	var webLns *webListeners
	if withWeb {
		if webLns, err = startWeb(ctx, cfg, mail, registerer(reg), log); err != nil {
			return err
		}
		defer webLns.close()
	} else {
		webLns = &webListeners{}
	}

	metricsAddr := ""
	if reg != nil {
		var ready []metrics.ReadyFunc
		if mail != nil {
			ready = append(ready, mail.Ready)
		}
		h := metrics.Handler(reg, ready...)
		if mail != nil {
			h = withAdmin(h, cfg, mail, log)
		}
		srv, addr, err := serveMetrics(cfg, h, log)
		if err != nil {
			// Monitoring must not keep mail from flowing: say so loudly and go on
			// (a scraper sees the target down).
			log.Error("metrics listener not started", "addr", cfg.Listen.Metrics, "err", err)
		} else {
			defer srv.Close()
			metricsAddr = addr
		}
	}

	printSummary(stdout, cfg, mail, webLns.httpAddr, webLns.httpsAddr)
	if metricsAddr != "" {
		// Printed last: scripts wait for the mail and webmail lines before it.
		fmt.Fprintf(stdout, "  %-22s http://%s/\n", "metrics", metricsAddr)
	}

wait:
	for {
		select {
		case <-ctx.Done():
			break wait
		case <-hup:
			reload(f, mail, log)
		case err := <-webLns.failed():
			if !isServerClosed(err) {
				return fmt.Errorf("webmail: %w", err)
			}
			break wait
		}
	}
	fmt.Fprintln(stdout, "yubin: shutting down")
	// The webmail and SMTP wind down side by side (a message the webmail is
	// submitting needs the submission listener to finish), each with a fixed bound,
	// so idle connections never hold up the exit; IMAP closes (with BYE) only after
	// the webmail's last requests, which may need it, are done.
	var webDone chan struct{}
	if webLns.running() {
		webDone = make(chan struct{})
		go func() {
			defer close(webDone)
			shutdownCtx, cancel := context.WithTimeout(context.Background(), webShutdownGrace)
			defer cancel()
			webLns.shutdown(shutdownCtx)
		}()
	}
	if mail != nil {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), mailShutdownGrace)
		defer cancel()
		mail.DrainSMTP(shutdownCtx)
	}
	if webDone != nil {
		<-webDone
	}
	if mail != nil {
		mail.Close()
	}
	return nil
}

// How long a shutdown waits: for SMTP messages whose DATA is under way to be stored
// and answered, and for webmail requests to complete. systemd's TimeoutStopSec (30 s
// in contrib/yubin.service) must stay above both.
const (
	mailShutdownGrace = 10 * time.Second
	webShutdownGrace  = 5 * time.Second
)

// reload answers SIGHUP: the configuration file is read again and what can change
// while connections stay open is applied (mailbackend.Running.Reload). A file that
// does not load is logged with the error a start would print, and the running
// configuration stays in force.
func reload(f *commonFlags, mail *mailbackend.Running, log *slog.Logger) {
	cfg, err := f.load()
	if err != nil {
		log.Error("reload refused, running configuration kept", "err", oneLine(err.Error()))
		return
	}
	if mail == nil {
		log.Info("reload: nothing to reload in the webmail alone (restart it to apply changes)")
		return
	}
	reloaded, restart, err := mail.Reload(cfg)
	if err != nil {
		log.Error("reload refused, running configuration kept", "err", oneLine(err.Error()))
		return
	}
	log.Info("reloaded", "applied", strings.Join(reloaded, ","))
	if len(restart) > 0 {
		log.Warn("changed settings need a restart", "settings", strings.Join(restart, ","))
	}
}

// newLogger writes slog lines to w: key=value text, or one JSON object per line
// when log_format = "json".
func newLogger(format string, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// registerer is reg as a prometheus.Registerer, nil when there is no registry (a
// nil *Registry in the interface would not compare equal to nil).
func registerer(reg *prometheus.Registry) prometheus.Registerer {
	if reg == nil {
		return nil
	}
	return reg
}

// serveMetrics opens the metrics listener ([listen] metrics) and serves h on it.
func serveMetrics(cfg *config.Config, h http.Handler, log *slog.Logger) (*http.Server, string, error) {
	ln, err := mailbackend.Listen(cfg, cfg.Listen.Metrics)
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	return srv, ln.Addr().String(), nil
}

// webmailDir is the webmail's data directory under data_dir: sessions and its own
// store (web/settings).
const webmailDir = "webmail"

// webmailConfig points the webmail at [webmail] imap/smtp, or at the bundled
// listeners over loopback when those are empty.
func webmailConfig(cfg *config.Config, mail *mailbackend.Running) (web.Config, error) {
	wc := web.Config{
		IMAPAddr:        cfg.Webmail.IMAP,
		SMTPAddr:        cfg.Webmail.SMTP,
		ManageSieveAddr: cfg.Webmail.ManageSieve,
		CardDAVURL:      cfg.Webmail.CardDAV,
		DataDir:         filepath.Join(cfg.DataDir, webmailDir),
		Hostname:        cfg.Hostname,
		MaxMessageBytes: cfg.SMTP.MaxMessageBytes,
		TrustProxy:      cfg.Webmail.TrustProxy,
		Autoconfig:      autoconfigSettings(cfg, mail),
	}
	if mail != nil && cfg.Webmail.IMAP == "" {
		// The webmail uses the bundled server: it may ask it for account names.
		wc.Directory = serverDirectory{mail}
	}
	if wc.IMAPAddr == "" && mail != nil {
		wc.IMAPAddr = loopbackAddr(firstNonEmpty(mail.Addr(mailbackend.ListenIMAP), mail.Addr(mailbackend.ListenIMAPS)))
	}
	if wc.SMTPAddr == "" && mail != nil {
		wc.SMTPAddr = loopbackAddr(firstNonEmpty(mail.Addr(mailbackend.ListenSubmission), mail.Addr(mailbackend.ListenSubmissions)))
	}
	if wc.ManageSieveAddr == "" && mail != nil {
		// Without a ManageSieve server the Out-of-office page says it is unavailable.
		wc.ManageSieveAddr = loopbackAddr(mail.Addr(mailbackend.ListenManageSieve))
	}
	if wc.IMAPAddr == "" {
		return wc, errors.New("webmail.imap: no IMAP server to use (set [webmail] imap or listen.imap)")
	}
	if wc.SMTPAddr == "" {
		return wc, errors.New("webmail.smtp: no submission server to use (set [webmail] smtp or listen.submission)")
	}
	// The bundled server's certificate is self-signed unless configured; loopback
	// traffic never leaves the machine, so it need not be verified there.
	wc.InsecureSkipVerify = isLoopbackHostPort(wc.IMAPAddr) && isLoopbackHostPort(wc.SMTPAddr)
	wc.ManageSieveSkipVerify = isLoopbackHostPort(wc.ManageSieveAddr)
	if u, err := url.Parse(wc.CardDAVURL); err == nil {
		wc.CardDAVSkipVerify = isLoopbackHostPort(u.Host)
	}
	return wc, nil
}

// signingHello asks the listeners' certificate source for the hostname's
// certificate as a modern client would (TLS 1.3, ECDSA or RSA signatures): the ACME
// manager hands its certificate only to a handshake that can use it, and an empty
// hello can use none, which would sign profiles with the fallback.
func signingHello(host string) *tls.ClientHelloInfo {
	return &tls.ClientHelloInfo{
		ServerName:        host,
		SupportedVersions: []uint16{tls.VersionTLS13, tls.VersionTLS12},
		SignatureSchemes: []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256, tls.ECDSAWithP384AndSHA384,
			tls.PSSWithSHA256, tls.PKCS1WithSHA256, tls.Ed25519},
		SupportedCurves: []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384},
		CipherSuites:    []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
	}
}

// autoconfigSettings tells mail programs that set themselves up the server's public
// name and the ports of its listeners: the bound ones when the mail server runs in
// this process (the same as configured, unless a port was 0), else the configured
// ones. Local domains come from the store when the mail server runs here (domains
// added while it runs count), else from the configuration's domains list.
func autoconfigSettings(cfg *config.Config, mail *mailbackend.Running) autoconfig.Settings {
	port := func(name, configured string) int {
		if mail != nil {
			return listenPort(mail.Addr(name))
		}
		return listenPort(configured)
	}
	s := autoconfig.Settings{
		Hostname:    cfg.Hostname,
		IMAPS:       port(mailbackend.ListenIMAPS, cfg.Listen.IMAPS),
		IMAP:        port(mailbackend.ListenIMAP, cfg.Listen.IMAP),
		POP3S:       port(mailbackend.ListenPOP3S, cfg.Listen.POP3S),
		POP3:        port(mailbackend.ListenPOP3, cfg.Listen.POP3),
		Submissions: port(mailbackend.ListenSubmissions, cfg.Listen.Submissions),
		Submission:  port(mailbackend.ListenSubmission, cfg.Listen.Submission),
	}
	if mail != nil {
		s.IsLocalDomain = mail.Store.IsLocalDomain
		// Apple profiles are signed with what the listeners present for the
		// hostname: the ACME certificate once there is one (never waiting on the
		// CA), else the configured or self-signed one.
		s.SigningCertificate = func() (*tls.Certificate, error) {
			return mail.TLS.GetCertificate(signingHello(cfg.Hostname))
		}
		// CardDAV shares the web listener; phones are offered it only over HTTPS,
		// which a trusted reverse proxy in front provides on 443.
		if cfg.Webmail.TrustProxy {
			s.CardDAVPort, s.CardDAVPath = 443, dav.Prefix
		}
		return s
	}
	domains := map[string]bool{}
	for _, d := range cfg.Domains {
		if parsed, err := mailaddr.ParseDomain(strings.ToLower(strings.TrimSuffix(d, "."))); err == nil {
			for _, form := range parsed.Forms() {
				domains[form] = true
			}
		}
	}
	s.IsLocalDomain = func(d string) bool { return domains[d] }
	return s
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// loopbackAddr turns a wildcard listen address (":143", "0.0.0.0:143") into one the
// webmail can dial on this machine.
func loopbackAddr(addr string) string {
	if addr == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	ip := net.ParseIP(host)
	if host == "" || (ip != nil && ip.IsUnspecified()) {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

func isLoopbackHostPort(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func ensureDemoAccount(ctx context.Context, st *store.Store) error {
	if _, err := st.AccountByAddress(ctx, demoAddress); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	hash, err := auth.HashPassword(demoPassword)
	if err != nil {
		return err
	}
	if _, err := st.AddAccount(ctx, demoAddress, hash, "Demo User"); err != nil && !errors.Is(err, store.ErrExists) {
		return fmt.Errorf("demo account: %w", err)
	}
	return nil
}

func printSummary(w io.Writer, cfg *config.Config, mail *mailbackend.Running, webAddr, webTLSAddr string) {
	fmt.Fprintf(w, "yubin %s serving %s (data in %s)\n", version, cfg.Hostname, cfg.DataDir)
	if mail != nil {
		rows := []struct{ name, label string }{
			{mailbackend.ListenSMTP, "SMTP (MX)"},
			{mailbackend.ListenSubmission, "submission (STARTTLS)"},
			{mailbackend.ListenSubmissions, "submissions (TLS)"},
			{mailbackend.ListenIMAP, "IMAP (STARTTLS)"},
			{mailbackend.ListenIMAPS, "IMAPS"},
			{mailbackend.ListenPOP3, "POP3 (STLS)"},
			{mailbackend.ListenPOP3S, "POP3S"},
			{mailbackend.ListenManageSieve, "ManageSieve"},
		}
		for _, r := range rows {
			if a := mail.Addr(r.name); a != "" {
				fmt.Fprintf(w, "  %-22s %s\n", r.label, a)
			}
		}
	}
	if webAddr != "" {
		fmt.Fprintf(w, "  %-22s http://%s/\n", "webmail", webAddr)
	}
	if webTLSAddr != "" {
		fmt.Fprintf(w, "  %-22s https://%s/\n", "webmail (HTTPS)", webTLSAddr)
	}
	if cfg.Dev && mail != nil {
		fmt.Fprintf(w, "demo login: %s / %s\n", demoAddress, demoPassword)
	}
}
