package metrics

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ReadyFunc answers whether the server can do its work now (nil) or why not.
type ReadyFunc func(ctx context.Context) error

// readyTimeout bounds one /readyz check: a probe that hangs is a failed probe.
const readyTimeout = 5 * time.Second

// Handler serves the metrics listener:
//
//	/         a line naming the endpoints below
//	/metrics  everything registered in g, in the Prometheus text format
//	/healthz  200 while the process runs (a liveness probe: it checks nothing)
//	/readyz   200 when every ready check passes, 503 with the first failure's text
//	          otherwise (the store answers, the listeners are up)
func Handler(g prometheus.Gatherer, ready ...ReadyFunc) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{
		// One bad collector (the queue's store read failing) must not hide the rest.
		ErrorHandling: promhttp.ContinueOnError,
		// Scrapes are cheap but not free: two at once is plenty for a loopback port.
		MaxRequestsInFlight: 2,
		Timeout:             10 * time.Second,
	}))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "yubin: /metrics (Prometheus), /healthz (alive), /readyz (ready to serve)\n")
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		for _, check := range ready {
			if err := check(ctx); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, "not ready: "+err.Error()+"\n")
				return
			}
		}
		io.WriteString(w, "ok\n")
	})
	return mux
}
