package web

import "net/http"

// notFound answers a URL that names nothing (or a method a route does not take)
// with the handlers' error page: for a signed-in user inside the app's frame (top
// bar and folders, so there is a way on), for anyone else a minimal page that
// offers to sign in. Either way the status is status and the words are the
// catalog's, never the router's plain text. Loading the session here neither
// redirects nor records activity: a mistyped URL must not keep a session alive.
func (s *Server) notFound(status int, key string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if sess := s.sessions.Load(r); sess != nil {
			r = r.WithContext(s.withUser(r, sess))
		}
		s.h.Error(w, r, status, key)
	}
}
