package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/yubinmail/yubin/handlers"
	"github.com/yubinmail/yubin/internal/connlimit"
	"github.com/yubinmail/yubin/internal/loginguard"
	"github.com/yubinmail/yubin/internal/mtasts"
	"github.com/yubinmail/yubin/static"
	"github.com/yubinmail/yubin/web/autoconfig"
	"github.com/yubinmail/yubin/web/cardclient"
	"github.com/yubinmail/yubin/web/credseal"
	"github.com/yubinmail/yubin/web/imageproxy"
	"github.com/yubinmail/yubin/web/mailclient"
	"github.com/yubinmail/yubin/web/outbound"
	"github.com/yubinmail/yubin/web/outbox"
	"github.com/yubinmail/yubin/web/push"
	"github.com/yubinmail/yubin/web/session"
	"github.com/yubinmail/yubin/web/settings"
	"github.com/yubinmail/yubin/web/sieveclient"
)

// IdleTimeout ends a session (and closes its IMAP connection) after this long unused.
const IdleTimeout = 30 * time.Minute

// Config says what the webmail connects to and where it keeps sessions.
type Config struct {
	IMAPAddr           string // host:port of the IMAP server (STARTTLS when offered; implicit TLS when the port is 993)
	SMTPAddr           string // host:port of submission (STARTTLS when offered; implicit TLS when the port is 465)
	InsecureSkipVerify bool   // accept the bundled server's self-signed certificate
	// ManageSieveAddr is host:port of the ManageSieve server (RFC 5804; STARTTLS
	// when offered) where the Out-of-office page keeps its script; "" = no page.
	ManageSieveAddr       string
	ManageSieveSkipVerify bool // accept its self-signed certificate (the bundled server over loopback)
	// CardDAVURL is the context URL of the CardDAV server of the contacts page and
	// the compose form's autocomplete (web/cardclient); "" = no contacts.
	CardDAVURL        string
	CardDAVSkipVerify bool   // accept its self-signed certificate
	DataDir           string // where server-side sessions live (survive restarts), e.g. data_dir/webmail
	Hostname          string // Message-ID domain
	MaxMessageBytes   int64  // upload limit shown in compose
	Log               *slog.Logger
	// TrustProxy says the webmail runs behind a reverse proxy on the same machine:
	// for requests from a loopback address only, the client IP (login throttle, logs)
	// comes from X-Forwarded-For and HTTPS from X-Forwarded-Proto (Secure cookies).
	// Off by default: without a proxy anyone could write those headers.
	TrustProxy bool
	// Metrics is where the webmail registers its metrics (metrics.go); nil = none.
	Metrics prometheus.Registerer
	// Autoconfig is what mail programs are told when they set themselves up
	// (Thunderbird autoconfig, Outlook autodiscover); the zero value answers 404.
	Autoconfig autoconfig.Settings
	// Directory is what the bundled mail server knows of an account (its name,
	// the addresses it may send as); nil against another IMAP server.
	Directory settings.Directory
	// ImageProxyAllow are addresses the image proxy may fetch from although they
	// are private or loopback: a test's loopback "remote" image server. Never set
	// by yubin; see web/imageproxy.
	ImageProxyAllow []netip.AddrPort
	// ImageProxyResolver looks up image hosts for the proxy and push services for
	// Web Push; nil is the system's.
	ImageProxyResolver *net.Resolver
	// PushAllow are push service addresses Web Push may post to although they are
	// loopback or private (and over plain HTTP): a test's loopback push service.
	// Never set by yubin; see web/push.
	PushAllow []netip.AddrPort
}

// Server is the webmail.
type Server struct {
	cfg      Config
	log      *slog.Logger
	sessions *session.Store
	settings *settings.Store // DataDir/settings.db: each account's preferences
	push     *push.Notifier  // Web Push: one INBOX watch per account with devices
	outbox   *outbox.Runner  // sends what waits for its time (undo send, send later)
	pool     *mailclient.Pool
	streams  *handlers.Streams
	perIP    *connlimit.Counter // open HTTP connections per client address (listener.go)
	h        *handlers.Handlers
	handler  http.Handler
	mux      chi.Routes // the router inside the outer handler; tests walk its routes
	metrics  *webMetrics

	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// New prepares the webmail; it opens no network connection until a user logs in.
func New(cfg Config) (*Server, error) {
	if cfg.IMAPAddr == "" || cfg.SMTPAddr == "" {
		return nil, errors.New("webmail: IMAP and SMTP addresses are required")
	}
	if cfg.DataDir == "" {
		return nil, errors.New("webmail: a data directory is required for sessions")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.CardDAVURL != "" {
		if err := (cardclient.Server{URL: cfg.CardDAVURL}).Check(); err != nil {
			return nil, err
		}
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = 25 << 20
	}
	st, err := session.Open(filepath.Join(cfg.DataDir, "sessions"), IdleTimeout)
	if err != nil {
		return nil, err
	}
	prefs, err := settings.Open(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	imageKey, err := imageproxy.LoadKey(cfg.DataDir)
	if err != nil {
		prefs.Close()
		return nil, err
	}
	images, err := imageproxy.New(imageproxy.Config{Key: imageKey, Allow: cfg.ImageProxyAllow,
		Resolver: cfg.ImageProxyResolver, Log: cfg.Log})
	if err != nil {
		prefs.Close()
		return nil, err
	}
	vapid, err := push.LoadKeys(cfg.DataDir)
	if err != nil {
		prefs.Close()
		return nil, err
	}
	mail := mailclient.Server{IMAPAddr: cfg.IMAPAddr, SMTPAddr: cfg.SMTPAddr, InsecureSkipVerify: cfg.InsecureSkipVerify}
	// The passwords kept for work without a browser (waiting sends, push
	// watches) are sealed under one key file (web/credseal).
	sealKey, err := credseal.Load(cfg.DataDir)
	if err != nil {
		prefs.Close()
		return nil, err
	}
	// The outbox sends what waits (undo send, send later) while nobody is signed
	// in; it resumes whatever a previous run left (web/outbox).
	sender := outbox.New(sealKey, prefs, mail, cfg.Log)
	s := &Server{cfg: cfg, log: cfg.Log, sessions: st, settings: prefs, outbox: sender, pool: mailclient.NewPool(IdleTimeout),
		streams: handlers.NewStreams(), perIP: connlimit.New(MaxConnsPerIP),
		stop: make(chan struct{}), done: make(chan struct{}), metrics: newWebMetrics(cfg.Metrics)}
	countFolderReads(cfg.Metrics, s.streams.FolderReads)
	s.push = push.NewNotifier(push.Config{
		Store:   prefs,
		Sender:  push.NewSender(vapid, cfg.Hostname, &outbound.Policy{Allow: cfg.PushAllow, Resolver: cfg.ImageProxyResolver}),
		Key:     sealKey,
		Mail:    mail,
		TabOpen: s.streams.HasUser,
		Payload: handlers.PushPayload,
		Log:     cfg.Log,
	})
	s.h = handlers.New(handlers.Deps{
		Sessions: st, Pool: s.pool, Streams: s.streams,
		Guard:           loginguard.New(loginguard.Default),
		LoginsInFlight:  connlimit.New(handlers.MaxLoginsInFlightPerIP),
		Mail:            mail,
		Sieve:           sieveclient.Server{Addr: cfg.ManageSieveAddr, InsecureSkipVerify: cfg.ManageSieveSkipVerify},
		Contacts:        cardclient.Server{URL: cfg.CardDAVURL, InsecureSkipVerify: cfg.CardDAVSkipVerify},
		ContactCache:    cardclient.NewCache(),
		Hostname:        cfg.Hostname,
		MaxMessageBytes: cfg.MaxMessageBytes,
		Log:             cfg.Log,
		CountLogin:      s.metrics.countLogin,
		Autoconfig:      cfg.Autoconfig,
		Settings:        prefs,
		Directory:       cfg.Directory,
		Images:          images,
		Push:            s.push,
		Outbox:          sender,
	})
	s.handler = s.routes()
	go s.sweep()
	sender.Start()
	// Push watches of accounts with devices start again without waiting for
	// their users' next visit (web/push).
	s.push.Resume(context.Background())
	return s, nil
}

func (s *Server) sweep() {
	defer close(s.done)
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	s.sessions.Sweep()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.sessions.Sweep()
		}
	}
}

// Handler is the webmail's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// StopLive ends every live-update stream now. Register it with
// http.Server.RegisterOnShutdown: Shutdown waits for open requests, and a stream only
// ends when told to.
func (s *Server) StopLive() { s.streams.StopAll() }

// LiveStreams is the number of open live-update streams (each holds an IMAP
// connection).
func (s *Server) LiveStreams() int { return s.streams.Len() }

// PushStats counts the batches of new mail pushed to devices and those not pushed
// because a tab was open (web/push).
func (s *Server) PushStats() (pushed, skipped int64) { return s.push.Stats() }

// PushWatching reports whether push watches the account's INBOX now.
func (s *Server) PushWatching(user string) bool { return s.push.Watching(user) }

// PushReady reports whether the account's push watch is connected and pushes
// mail arriving from now on.
func (s *Server) PushReady(user string) bool { return s.push.Ready(user) }

// Close closes every IMAP connection. Sessions stay on disk for the next start.
func (s *Server) Close() error {
	s.stopOnce.Do(func() {
		close(s.stop)
		<-s.done
		s.outbox.Close() // before the database it writes to
		s.streams.StopAll()
		s.push.Close()
		s.pool.Close()
		s.settings.Close()
	})
	return nil
}

// autodiscoverPaths are the spellings Outlook uses for the POX endpoint (the
// capitalised one is what Exchange documents; paths are case-sensitive here).
var autodiscoverPaths = []string{autoconfig.AutodiscoverPath, "/Autodiscover/Autodiscover.xml"}

func (s *Server) routes() http.Handler {
	h := s.h
	r := chi.NewRouter()
	r.Use(s.metrics.timeRequests, s.recoverer, securityHeaders)
	r.Use(boundedCompress(5, "text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml"))
	r.NotFound(s.notFound(http.StatusNotFound, "err.notfound"))
	r.MethodNotAllowed(s.notFound(http.StatusMethodNotAllowed, "err.badrequest"))
	r.Handle("/static/*", static.Handler())
	// The installable app: public, like /static (a browser fetches them without
	// asking the user anything).
	r.Get("/sw.js", static.ServiceWorker().ServeHTTP)
	r.Get("/manifest.webmanifest", h.Manifest)
	// Our MTA-STS policy (RFC 8461 section 3.3), for https://mta-sts.DOMAIN behind
	// the HTTPS front: public, plain text, the MX being this server's hostname.
	policy := mtasts.Policy(s.cfg.Hostname)
	r.Get(mtasts.Path, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, policy)
	})

	// Public, unauthenticated and read-only: mail programs setting themselves up.
	ac := s.cfg.Autoconfig
	r.Get(autoconfig.ThunderbirdPath, ac.Thunderbird)
	r.Get(autoconfig.ThunderbirdWellKnownPath, ac.Thunderbird)
	for _, p := range autodiscoverPaths {
		r.Post(p, ac.Autodiscover)
	}
	r.Get(autoconfig.AutodiscoverJSONPath, ac.AutodiscoverJSON)
	r.Get(autoconfig.AutodiscoverJSONPath+"/*", ac.AutodiscoverJSON)

	// Public: the sign-in form. Cross-origin protection still applies to the POST
	// (login CSRF), through the outer handler below.
	r.Group(func(r chi.Router) {
		r.Use(s.limitLogin)
		r.Get("/login", h.LoginForm)
		r.Post("/login", h.Login)
	})
	// Live updates: a stream is not user activity, so it must not extend the session.
	r.Group(func(r chi.Router) {
		r.Use(s.loadSession)
		r.Get("/events", h.Events)
	})
	r.Group(func(r chi.Router) {
		r.Use(s.requireSession, s.limitBody, s.csrfToken)
		r.Get("/", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/mail?f=INBOX", http.StatusSeeOther)
		})
		r.Get("/mail", h.Mailbox)
		r.Post("/actions", h.Actions)
		r.Post("/undo", h.Undo)
		r.Get("/msg", h.Message)
		r.Get("/msg/html", h.MessageHTML)
		r.Get("/msg/part", h.MessagePart)
		r.Get("/msg/preview", h.MessagePreview)
		r.Get(imageproxy.Path, h.RemoteImage)
		r.Get(handlers.ImagesSettingsPath, h.ImagesSettingsPage)
		r.Post(handlers.ImagesSettingsPath, h.ImagesSettingsSave)
		r.Post(handlers.ImagesSettingsPath+"/allow", h.ImageSenderAllow)
		r.Post(handlers.ImagesSettingsPath+"/forget", h.ImageSenderForget)
		r.Get(handlers.PushSettingsPath, h.PushSettingsPage)
		r.Post(handlers.PushSettingsPath+"/subscribe", h.PushSubscribe)
		r.Post(handlers.PushSettingsPath+"/remove", h.PushRemove)
		r.Post(handlers.PushSettingsPath+"/content", h.PushContentSave)
		r.Get("/compose", h.ComposeForm)
		r.Post("/send", h.Send)
		r.Post("/draft", h.SaveDraft)
		r.Post("/compose/save", h.DraftAutosave)
		r.Post("/outbox/undo", h.OutboxUndo)
		r.Get("/scheduled", h.ScheduledPage)
		r.Post("/scheduled/edit", h.ScheduledEdit)
		r.Post("/scheduled/cancel", h.ScheduledCancel)
		r.Get("/folders", h.FoldersPage)
		r.Post("/folders/create", h.FolderCreate)
		r.Post("/folders/rename", h.FolderRename)
		r.Post("/folders/delete", h.FolderDelete)
		r.Post("/logout", h.Logout)
		r.Get("/setup", h.SetupPage)
		r.Get("/settings", h.SettingsPage)
		r.Post("/settings", h.SettingsSave)
		r.Get("/contacts", h.ContactsPage)
		r.Get("/contacts/edit", h.ContactEditPage)
		r.Post("/contacts/save", h.ContactSave)
		r.Post("/contacts/delete", h.ContactDelete)
		r.Post("/contacts/import", h.ContactImport)
		r.Get("/contacts/export", h.ContactExport)
		r.Get("/contacts/suggest", h.ContactSuggest)
		r.Get("/settings/vacation", h.VacationPage)
		r.Post("/settings/vacation", h.VacationSave)
		r.Get("/settings/filters", h.FiltersPage)
		r.Post("/settings/filters/add", h.FilterAdd)
		r.Post("/settings/filters/delete", h.FilterDelete)
		r.Post("/settings/filters/change", h.FilterChange)
		r.Get("/settings/script", h.ScriptPage)
		r.Post("/settings/script", h.ScriptSave)
		r.Get(autoconfig.MobileConfigPath, func(w http.ResponseWriter, r *http.Request) {
			s.cfg.Autoconfig.ServeAppleProfile(w, r, session.FromContext(r.Context()).User)
		})
	})

	// Go 1.25 cross-origin protection: refuses non-safe requests whose
	// Sec-Fetch-Site or Origin says they come from another site.
	cop := http.NewCrossOriginProtection()
	// Autodiscover is a POST that needs no cookie and changes nothing, so a
	// cross-site one can do no harm; some clients send an Origin of their own.
	for _, p := range autodiscoverPaths {
		cop.AddInsecureBypassPattern("POST " + p)
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("webmail cross-origin request refused", "ip", handlers.ClientIP(r), "path", r.URL.Path,
			"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		setSecurityHeaders(w.Header())
		h.Error(w, r, http.StatusForbidden, "err.forbidden")
	}))
	s.mux = r
	return s.fromProxy(cop.Handler(r))
}
