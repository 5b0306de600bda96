// Package metrics owns the mail server's Prometheus metrics and the HTTP handler of
// the metrics listener ([listen] metrics): /metrics, /healthz and /readyz.
//
// Every metric the mail server exports is defined here, in one place, so the names
// the README documents and the names scraped are the same list. A Mail is made per
// server instance on its own registry (tests start several servers in one process;
// the global registry would panic on the second), and every method is safe on a nil
// *Mail, so a server started without metrics pays one nil check.
//
// It must never take a lock of its own or do I/O on a hot path (a connection, a
// login, a delivery): those only bump prometheus counters. Work that needs the store
// (queue size, oldest entry) is done by a collector at scrape time.
package metrics
