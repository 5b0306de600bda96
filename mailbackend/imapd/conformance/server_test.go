package conformance

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yubinmail/yubin/mailbackend/auth"
	"github.com/yubinmail/yubin/mailbackend/imapd"
	"github.com/yubinmail/yubin/mailbackend/store"
	"github.com/yubinmail/yubin/mailbackend/tlsconf"
)

const testPass = "imaptest pass"

// server is one imapd over one store on loopback, shared by the tests of this
// package: each test gets an account of its own (newAccount), so tests stay
// independent and may run in parallel without paying for a store each.
type server struct {
	addr string
	dir  string
	st   *store.Store
	hash string
	next atomic.Int64
}

var (
	sharedOnce sync.Once
	shared     *server
	sharedErr  error
)

// TestMain closes the shared server after the tests: its store lives in a temp dir
// of its own (t.TempDir belongs to one test).
func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil && shared.st != nil {
		shared.st.Close()
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

func startServer() (*server, error) {
	dir, err := os.MkdirTemp("", "imap-conformance-")
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("IMAPD_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	tlsCfg, err := tlsconf.Load("", "", dir, "mail.example.test")
	if err != nil {
		return nil, err
	}
	st, err := store.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := st.AddDomain(context.Background(), "example.test"); err != nil {
		return nil, err
	}
	hash, err := auth.HashPassword(testPass)
	if err != nil {
		return nil, err
	}
	srv := imapd.New(imapd.Config{TLS: tlsCfg, MaxMessageBytes: 8 << 20}, st, auth.New(st, log, 0), log)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go srv.Serve(ln)
	return &server{addr: ln.Addr().String(), dir: dir, st: st, hash: hash}, nil
}

// referenceEnv names another server to run the transcripts against instead
// (host:port): checking a transcript against Dovecot shows that what it expects is
// what the RFCs ask, not what our server happens to do. That server must accept
// LOGIN uN@example.test with testPass for N from 1 to 5000 (the accounts of a
// Dovecot passwd-file; scripts/dovecot-instance.sh makes such an instance).
const referenceEnv = "IMAP_CONFORMANCE_REFERENCE"

func testServer(t testing.TB) *server {
	t.Helper()
	if ref := os.Getenv(referenceEnv); ref != "" {
		sharedOnce.Do(func() {
			shared = &server{addr: ref}
			// Accounts of an earlier run keep their mail there: start elsewhere.
			shared.next.Store(time.Now().UnixNano() % 49 * 100)
		})
		return shared
	}
	sharedOnce.Do(func() { shared, sharedErr = startServer() })
	if sharedErr != nil {
		t.Fatalf("start server: %v", sharedErr)
	}
	return shared
}

// newAccount adds a fresh account (an empty INBOX and the special-use folders) and
// returns its address.
func (s *server) newAccount(t testing.TB) string {
	t.Helper()
	addr := fmt.Sprintf("u%d@example.test", s.next.Add(1))
	if s.st == nil {
		return addr // the reference server has it
	}
	if _, err := s.st.AddAccount(context.Background(), addr, s.hash, ""); err != nil {
		t.Fatalf("add account: %v", err)
	}
	return addr
}
