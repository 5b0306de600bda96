package dav

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/cardstore"
	"github.com/yubinmail/yubin/mailbackend/store"
)

const (
	alice    = "alice@example.test"
	bob      = "bob@example.test"
	password = "correct horse 7"
)

type env struct {
	srv   *Server
	http  *httptest.Server
	cards *cardstore.Store
}

// newEnv starts the CardDAV server on a loopback port over a real spool, with
// accounts alice and bob (same password), mounted in front of a stand-in for the
// webmail that answers 418 so a request that escapes /dav/ is visible.
func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.AddDomain(ctx, "example.test"); err != nil {
		t.Fatal(err)
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{alice, bob} {
		if _, err := st.AddAccount(ctx, a, hash, ""); err != nil {
			t.Fatal(err)
		}
	}
	cards, err := cardstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cards.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := New(Config{Auth: auth.New(st, log, 0), Cards: cards, Log: log})
	hs := httptest.NewServer(srv.Mount(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})))
	t.Cleanup(hs.Close)
	return &env{srv: srv, http: hs, cards: cards}
}

// do sends one raw request with Basic credentials (user "" = none).
func (e *env) do(t *testing.T, method, path, user, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, nil)
	if body != "" {
		req, err = http.NewRequest(method, e.http.URL+path, stringsReader(body))
	}
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}
