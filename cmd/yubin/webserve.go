package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yubinmail/yubin/mailbackend"
	"github.com/yubinmail/yubin/mailbackend/config"
	"github.com/yubinmail/yubin/web"
)

// webListeners are the webmail's plain HTTP and HTTPS servers.
type webListeners struct {
	srv                 *web.Server
	servers             []*http.Server
	httpAddr, httpsAddr string
	errs                chan error
}

// startWeb opens [listen] http and https for the webmail. With HTTPS on, plain HTTP
// only redirects to it (so the session cookie is only ever set Secure, with the
// __Host- prefix, and HSTS is sent), except under --dev, whose self-signed
// certificate a browser would warn about. With [tls] acme on, plain HTTP also
// answers the CA's HTTP-01 requests. The webmail alone (`yubin webmail`) runs its
// own ACME manager over the same data_dir.
func startWeb(ctx context.Context, cfg *config.Config, mail *mailbackend.Running, reg prometheus.Registerer, log *slog.Logger) (*webListeners, error) {
	w := &webListeners{errs: make(chan error, 2)}
	if cfg.Listen.HTTP == "" && cfg.Listen.HTTPS == "" {
		return w, nil
	}
	var lns []net.Listener
	ok := false
	defer func() {
		if !ok {
			for _, ln := range lns {
				ln.Close()
			}
			w.close()
		}
	}()
	var httpLn, httpsLn net.Listener
	for _, l := range []struct {
		key, addr string
		ln        *net.Listener
	}{{"https", cfg.Listen.HTTPS, &httpsLn}, {"http", cfg.Listen.HTTP, &httpLn}} {
		if l.addr == "" {
			continue
		}
		ln, err := mailbackend.Listen(cfg, l.addr)
		if err != nil {
			return nil, fmt.Errorf("listen.%s: %w", l.key, err)
		}
		lns = append(lns, ln)
		*l.ln = ln
	}
	if httpsLn != nil {
		w.httpsAddr = httpsLn.Addr().String()
	}
	if httpLn != nil {
		w.httpAddr = httpLn.Addr().String()
	}
	// Plain HTTP serves the webmail only when there is no HTTPS to send browsers to.
	redirect := w.httpsAddr != "" && !cfg.Dev

	wcfg, err := webmailConfig(cfg, mail)
	if err != nil {
		return nil, err
	}
	wcfg.Log = log.With("component", "webmail")
	wcfg.Metrics = reg
	if wcfg.CardDAVURL == "" && mail != nil {
		// The bundled CardDAV server shares these listeners (mounted below); the
		// webmail reaches it over loopback, through HTTPS when plain HTTP only
		// redirects (its certificate need not be verified there).
		if w.httpAddr != "" && !redirect {
			wcfg.CardDAVURL = "http://" + loopbackAddr(w.httpAddr) + "/dav/"
		} else {
			wcfg.CardDAVURL = "https://" + loopbackAddr(w.httpsAddr) + "/dav/"
			wcfg.CardDAVSkipVerify = true
		}
	}
	w.srv, err = web.New(wcfg)
	if err != nil {
		return nil, fmt.Errorf("webmail: %w", err)
	}

	var certs *mailbackend.Certificates
	if mail != nil {
		certs = mail.Certs
	} else if httpsLn != nil || cfg.TLS.ACME {
		if certs, err = mailbackend.OpenCertificates(cfg, log); err != nil {
			return nil, err
		}
		if certs.ACME != nil {
			go certs.ACME.Run(ctx)
		}
	}

	webmail := w.srv.Handler()
	if mail != nil {
		// CardDAV (/dav/, /.well-known/carddav) shares the web listeners.
		webmail = mail.DAV.Mount(webmail)
	}
	if httpsLn != nil {
		hs := w.newServer(webmail, log)
		hs.TLSConfig = certs.HTTPSConfig()
		w.servers = append(w.servers, hs)
		go func() { w.errs <- hs.ServeTLS(w.srv.LimitListener(httpsLn), "", "") }()
	}
	if httpLn != nil {
		h := webmail
		if redirect {
			h = redirectToHTTPS(listenPort(w.httpsAddr))
		}
		if certs != nil && certs.ACME != nil {
			h = certs.ACME.HTTPHandler(h)
		}
		hs := w.newServer(h, log)
		w.servers = append(w.servers, hs)
		go func() { w.errs <- hs.Serve(w.srv.LimitListener(httpLn)) }()
	}
	ok = true
	return w, nil
}

func (w *webListeners) newServer(h http.Handler, log *slog.Logger) *http.Server {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		// Whole-request bounds against slow clients: generous enough for a large
		// upload or download on a phone link. Live-update streams set their own
		// write deadline per event.
		ReadTimeout:    10 * time.Minute,
		WriteTimeout:   10 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		IdleTimeout:    2 * time.Minute,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// Live-update streams never end on their own; without this Shutdown would
	// wait out its whole timeout whenever a browser tab is open.
	hs.RegisterOnShutdown(w.srv.StopLive)
	return hs
}

// redirectToHTTPS sends every request to the same host and path over HTTPS (RFC
// 9110 section 15.4.2: 301 for GET and HEAD, 308 keeps the method and body of a
// POST), on httpsPort when that is not 443.
func redirectToHTTPS(httpsPort int) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if host == "" {
			http.Error(rw, "Host header required", http.StatusBadRequest)
			return
		}
		if httpsPort != 443 && httpsPort != 0 {
			host = net.JoinHostPort(host, strconv.Itoa(httpsPort))
		} else if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
			host = "[" + host + "]"
		}
		code := http.StatusMovedPermanently
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			code = http.StatusPermanentRedirect
		}
		http.Redirect(rw, r, "https://"+host+r.URL.RequestURI(), code)
	})
}

// shutdown stops both servers side by side within ctx.
func (w *webListeners) shutdown(ctx context.Context) {
	var wg sync.WaitGroup
	for _, hs := range w.servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hs.Shutdown(ctx)
		}()
	}
	wg.Wait()
}

// running reports whether any web listener is open.
func (w *webListeners) running() bool { return len(w.servers) > 0 }

// failed receives a listener's error other than a clean shutdown.
func (w *webListeners) failed() <-chan error { return w.errs }

func (w *webListeners) close() {
	for _, hs := range w.servers {
		hs.Close()
	}
	if w.srv != nil {
		w.srv.Close()
	}
}

// isServerClosed tells a listener's clean stop from a failure.
func isServerClosed(err error) bool { return err == nil || errors.Is(err, http.ErrServerClosed) }
