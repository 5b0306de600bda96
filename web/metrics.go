package web

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// webMetrics are the webmail's Prometheus metrics, on the registry the caller
// passes in Config.Metrics (the mail server's metrics listener serves it when
// `yubin serve` runs both). Their names start with yubin_webmail_ so they never
// collide with the mail server's on a shared registry. A nil *webMetrics records
// nothing.
type webMetrics struct {
	connections prometheus.Counter
	logins      *prometheus.CounterVec
	requests    *prometheus.HistogramVec
}

func newWebMetrics(reg prometheus.Registerer) *webMetrics {
	if reg == nil {
		return nil
	}
	m := &webMetrics{
		connections: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yubin_webmail_connections_total",
			Help: "HTTP connections accepted by the webmail.",
		}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yubin_webmail_logins_total",
			Help: "Webmail sign-ins, by result (ok, failed, throttled, busy, error).",
		}, []string{"result"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "yubin_webmail_request_seconds",
			Help: "Webmail request latency, by method and route pattern (not the raw path); the live-update stream is left out.",
			// From a cached page (~1 ms) to a large attachment over IMAP.
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.connections, m.logins, m.requests)
	for _, r := range []string{"ok", "failed"} {
		m.logins.WithLabelValues(r)
	}
	return m
}

// countLogin is handlers.Deps.CountLogin.
func (m *webMetrics) countLogin(result string) {
	if m != nil {
		m.logins.WithLabelValues(result).Inc()
	}
}

func (m *webMetrics) countConnection() {
	if m != nil {
		m.connections.Inc()
	}
}

// timeRequests observes each request's latency under the route chi matched: the
// pattern ("/msg/part"), never the raw path, so the label set stays bounded
// whatever URLs clients make up. Unmatched paths share the route "other". The
// live-update stream lasts as long as the tab is open and would only drown the
// histogram.
func (m *webMetrics) timeRequests(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		next.ServeHTTP(w, r)
		route := "other"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		if route == "/events" {
			return
		}
		method := r.Method
		switch method {
		case http.MethodGet, http.MethodHead, http.MethodPost:
		default:
			method = "other" // bounded labels: clients may send any token as a method
		}
		m.requests.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
	})
}

// countFolderReads exposes how often the live streams read every folder's counts
// (one LIST-STATUS each), shared by the tabs of an account: the figure that grew
// with every open tab before they shared it.
func countFolderReads(reg prometheus.Registerer, reads func() uint64) {
	if reg == nil {
		return
	}
	reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "yubin_webmail_folder_reads_total",
		Help: "Readings of every folder's counts (LIST-STATUS) for the live updates of open tabs, one per account per change or interval.",
	}, func() float64 { return float64(reads()) }))
}
