package directory

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// stallingServer is a broken directory on loopback (the outside world, faked): it
// accepts connections and then says nothing, or, with acceptStartTLS, answers the
// StartTLS request with success and then never starts the TLS handshake.
func stallingServer(t *testing.T, acceptStartTLS bool) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if acceptStartTLS {
					req, err := ber.ReadPacket(c)
					if err != nil || len(req.Children) < 1 {
						return
					}
					// RFC 4511 section 4.14.2: an ExtendedResponse with success.
					resp := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAP Response")
					resp.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, req.Children[0].Value, "MessageID"))
					ext := ber.Encode(ber.ClassApplication, ber.TypeConstructed, 24, nil, "Extended Response")
					ext.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, 0, "resultCode"))
					ext.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", "matchedDN"))
					ext.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", "diagnosticMessage"))
					resp.AppendChild(ext)
					if _, err := c.Write(resp.Bytes()); err != nil {
						return
					}
				}
				io.Copy(io.Discard, c) // read the ClientHello and say nothing, until closed
			}()
		}
	}()
	return "ldap://" + ln.Addr().String()
}

// A directory that accepts connections but stalls (before or after agreeing to
// StartTLS) costs a login at most about the timeout and then is ErrUnavailable: it
// cannot hold a login, and with it a slot of the bounded password pool, forever.
func TestStallingDirectoryTimesOut(t *testing.T) {
	for _, tc := range []struct {
		name     string
		startTLS bool
	}{{"silent", false}, {"StartTLS accepted, no handshake", true}} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := store.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			d, err := New(Config{URLs: []string{stallingServer(t, tc.startTLS)}, BaseDN: "dc=example,dc=test",
				UserFilter: "(mail=%s)", MailAttr: "mail", Timeout: 500 * time.Millisecond}, st, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			done := make(chan error, 1)
			go func() {
				_, err := d.Login(context.Background(), "alice@example.test", "pw")
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, ErrUnavailable) {
					t.Fatalf("login against a stalling directory: %v; want ErrUnavailable", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("login against a stalling directory still waiting after 20 s")
			}
		})
	}
}
