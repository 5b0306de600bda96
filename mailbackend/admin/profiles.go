package admin

import (
	"net/http"
	"net/http/pprof"
)

// ProfilesPrefix is where the Go runtime's profiles are served on the metrics
// listener.
const ProfilesPrefix = "/debug/pprof/"

// Profiles serves the Go runtime's profiles (net/http/pprof: heap, goroutines, CPU,
// execution trace) to the same people as the pages, behind the same check: a
// request from this machine naming this machine. A profile holds stacks, sizes
// and the command line, not the contents of memory, and whoever may open the
// pages can already do more; the check keeps a scraper that may reach /metrics
// from the network, or a web page through DNS rebinding, from reading them.
//
// A memory or CPU problem under load is found by comparing two profiles taken
// minutes apart (go tool pprof -base); having them on the running server, rather
// than in a rebuilt one, is what makes that quick.
func (s *Server) Profiles() http.Handler {
	m := http.NewServeMux()
	// Index also serves every named profile: /heap, /goroutine, /allocs, /block,
	// /mutex, /threadcreate.
	m.HandleFunc("GET "+ProfilesPrefix, pprof.Index)
	m.HandleFunc("GET "+ProfilesPrefix+"cmdline", pprof.Cmdline)
	m.HandleFunc("GET "+ProfilesPrefix+"profile", pprof.Profile)
	m.HandleFunc("GET "+ProfilesPrefix+"symbol", pprof.Symbol)
	m.HandleFunc("GET "+ProfilesPrefix+"trace", pprof.Trace)
	return s.onlyFromThisHost(m)
}
