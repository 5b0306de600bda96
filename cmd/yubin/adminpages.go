package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"

	"github.com/yubinmail/yubin/mailbackend"
	"github.com/yubinmail/yubin/mailbackend/admin"
	"github.com/yubinmail/yubin/mailbackend/config"
	"github.com/yubinmail/yubin/mailbackend/dnsresolve"
	"github.com/yubinmail/yubin/mailbackend/dnssetup"
)

// withAdmin puts the admin pages (mailbackend/admin) under /admin/ and the Go
// runtime's profiles under /debug/pprof/ of the metrics listener, beside what
// metrics serves.
func withAdmin(metricsHandler http.Handler, cfg *config.Config, mail *mailbackend.Running, log *slog.Logger) http.Handler {
	ac := admin.Config{Store: mail.Store, Queue: mail.Queue, Log: log}
	if res, err := dnsresolve.New(cfg.Delivery.Resolver); err == nil {
		ac.DNS = func(ctx context.Context, domain string) ([]dnssetup.Result, error) {
			records, err := dnssetup.ForServer(ctx, cfg, res, domain)
			if err != nil {
				return nil, err
			}
			return dnssetup.Check(ctx, res, records), nil
		}
	} else {
		log.Warn("admin pages without DNS checks", "err", err)
	}
	pages := admin.New(ac)
	mux := http.NewServeMux()
	mux.Handle(admin.Prefix, pages.Handler())
	mux.Handle(admin.ProfilesPrefix, pages.Profiles())
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "yubin: /metrics (Prometheus), /healthz (alive), /readyz (ready to serve), /admin/ (admin pages) and /debug/pprof/ (Go profiles), both from this machine only\n")
	})
	mux.Handle("/", metricsHandler)
	return mux
}
