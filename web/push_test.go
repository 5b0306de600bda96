package web_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/web"
)

// pushService is a loopback stand-in for a browser vendor's push service (RFC 8030):
// it keeps every push message it is sent, answering 201, or 410 for an endpoint
// under /gone/.
type pushService struct {
	*httptest.Server
	got chan pushed
}

type pushed struct {
	path string
	hdr  http.Header
	body []byte
}

func newPushService(t *testing.T) *pushService {
	ps := &pushService{got: make(chan pushed, 32)}
	ps.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		ps.got <- pushed{path: r.URL.Path, hdr: r.Header.Clone(), body: body}
		if strings.HasPrefix(r.URL.Path, "/gone/") {
			w.WriteHeader(http.StatusGone)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(ps.Close)
	return ps
}

func (ps *pushService) next(t *testing.T, what string) pushed {
	t.Helper()
	select {
	case p := <-ps.got:
		return p
	case <-time.After(30 * time.Second):
		t.Fatalf("no push message: %s", what)
	}
	return pushed{}
}

// device is a browser's side of a subscription: its ECDH key pair and
// authentication secret (RFC 8291 section 2).
type device struct {
	priv *ecdh.PrivateKey
	auth []byte
}

func newDevice(t *testing.T) *device {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	return &device{priv: priv, auth: auth}
}

func (d *device) subscription(endpoint string) string {
	b64 := base64.RawURLEncoding.EncodeToString
	data, _ := json.Marshal(map[string]any{"endpoint": endpoint, "keys": map[string]string{
		"p256dh": b64(d.priv.PublicKey().Bytes()), "auth": b64(d.auth)}})
	return string(data)
}

// decrypt opens an aes128gcm push message as the browser does: RFC 8188 section
// 2.1 header (salt, record size, key id = the server's ephemeral public key), the
// key derivation of RFC 8291 section 3.4, one record, padding ending in 0x02.
func (d *device) decrypt(body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("short body")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < 21+idlen || rs < 18 {
		return nil, errors.New("bad header")
	}
	asPublic, ciphertext := body[21:21+idlen], body[21+idlen:]
	pub, err := ecdh.P256().NewPublicKey(asPublic)
	if err != nil {
		return nil, fmt.Errorf("key id is not the server's P-256 key: %w", err)
	}
	secret, err := d.priv.ECDH(pub)
	if err != nil {
		return nil, err
	}
	info := append(append([]byte("WebPush: info\x00"), d.priv.PublicKey().Bytes()...), asPublic...)
	ikm, err := hkdf.Key(sha256.New, secret, d.auth, string(info), 32)
	if err != nil {
		return nil, err
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	cek, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	nonce, _ := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	if len(ciphertext) > int(rs) {
		return nil, errors.New("more than one record")
	}
	plain, err := gcm.Open(nil, nonce, ciphertext, nil) // record 0: the nonce as derived
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	i := len(plain) - 1
	for i >= 0 && plain[i] == 0 {
		i--
	}
	if i < 0 || plain[i] != 2 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:i], nil
}

// checkVAPID verifies the Authorization header of RFC 8292 section 3: a JWT signed
// with ES256 by the key in k=, for the push service's origin, expiring within a day,
// with a contact.
func checkVAPID(t *testing.T, hdr http.Header, origin string) string {
	t.Helper()
	v := hdr.Get("Authorization")
	if !strings.HasPrefix(v, "vapid ") {
		t.Fatalf("Authorization %q is not vapid", v)
	}
	var token, key string
	for _, p := range strings.Split(strings.TrimPrefix(v, "vapid "), ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch k {
		case "t":
			token = val
		case "k":
			key = val
		}
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("VAPID token %q is not a JWT", token)
	}
	kb, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil || len(kb) != 65 {
		t.Fatalf("VAPID k= is not a P-256 key: %v", err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), kb)
	if err != nil {
		t.Fatalf("VAPID k=: %v", err)
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	h := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if len(sig) != 64 || !ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatal("the VAPID token's ES256 signature does not verify with k=")
	}
	var claims struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	json.Unmarshal(cb, &claims)
	if claims.Aud != origin {
		t.Errorf("VAPID aud %q, want %q", claims.Aud, origin)
	}
	if exp := time.Unix(claims.Exp, 0); exp.Before(time.Now()) || exp.After(time.Now().Add(24*time.Hour)) {
		t.Errorf("VAPID exp %v not within 24 hours (RFC 8292 section 2)", exp)
	}
	if !strings.HasPrefix(claims.Sub, "mailto:") && !strings.HasPrefix(claims.Sub, "https:") {
		t.Errorf("VAPID sub %q is no contact", claims.Sub)
	}
	return key
}

// withPush restarts the webmail with the loopback push service allowed.
func (e *env) withPush(t *testing.T, ps *pushService) {
	t.Helper()
	srv, err := web.New(web.Config{
		IMAPAddr: e.run.Addr("imap"), SMTPAddr: e.run.Addr("submission"), InsecureSkipVerify: true,
		DataDir: e.webDir, Hostname: "localhost", MaxMessageBytes: 10 << 20, Log: e.log,
		PushAllow: []netip.AddrPort{netip.MustParseAddrPort(ps.Listener.Addr().String())},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Close()
	e.srv = srv
	e.handler.h = srv.Handler()
}

// New mail in INBOX while no tab is open reaches the device as an encrypted push
// message (RFC 8291) with a valid VAPID signature (RFC 8292), which the device
// decrypts to "New mail from <sender>" and the subject; while a tab is open nothing
// is pushed; with the content setting off the push says only "New mail"; a
// subscription the service says is gone is forgotten.
func TestWebPushNewMail(t *testing.T) {
	e := newEnv(t)
	ps := newPushService(t)
	e.withPush(t, ps)
	b := e.browser(t)
	b.mustLogin("alice@localhost")
	page := b.get("/settings/push")
	mustContain(t, page.body, "Turn on notifications on this device", `class="js-push push-box" data-key="`)
	phone := newDevice(t)
	r := b.post("/settings/push/subscribe", url.Values{"csrf": {b.csrf()}, "subscription": {phone.subscription(ps.URL + "/push/phone-1")}},
		"User-Agent", "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36")
	if r.StatusCode != http.StatusNoContent {
		t.Fatalf("subscribe: %d %s", r.StatusCode, r.body)
	}
	mustContain(t, b.get("/settings/push").body, "Chrome · Android")
	// Nothing of the subscriber goes elsewhere: an endpoint on an address that is not
	// allowed, plain HTTP, or keys of the wrong size are refused.
	for _, bad := range []string{
		phone.subscription("http://127.0.0.1:1/push/x"),
		phone.subscription("https://10.0.0.1/push/x"),
		`{"endpoint":"` + ps.URL + `/push/x","keys":{"p256dh":"AAAA","auth":"AAAA"}}`,
		`not json`,
	} {
		if r := b.post("/settings/push/subscribe", url.Values{"csrf": {b.csrf()}, "subscription": {bad}}); r.StatusCode != http.StatusBadRequest {
			t.Errorf("subscription %s: %d, want 400", bad, r.StatusCode)
		}
	}

	for deadline := time.Now().Add(30 * time.Second); !e.srv.PushReady("alice@localhost"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no push watch after subscribing")
		}
	}
	e.deliver(t, "alice@localhost", "", simpleMail("Tanaka Taro <tanaka@example.jp>", "alice@localhost", "=?UTF-8?B?5LyB55S75Lya6K2w44Gu5Lu2?=", "body text"))
	got := ps.next(t, "the first new mail")
	if got.path != "/push/phone-1" {
		t.Fatalf("pushed to %s", got.path)
	}
	if got.hdr.Get("Content-Encoding") != "aes128gcm" || got.hdr.Get("TTL") == "" {
		t.Errorf("push headers: Content-Encoding %q TTL %q", got.hdr.Get("Content-Encoding"), got.hdr.Get("TTL"))
	}
	checkVAPID(t, got.hdr, ps.URL)
	if strings.Contains(string(got.body), "Tanaka") || strings.Contains(string(got.body), "企画") {
		t.Fatal("the push message is not encrypted")
	}
	plain, err := phone.decrypt(got.body)
	if err != nil {
		t.Fatalf("the device cannot decrypt the push message: %v", err)
	}
	var p struct{ Title, Body, URL string }
	if err := json.Unmarshal(plain, &p); err != nil {
		t.Fatalf("payload %q: %v", plain, err)
	}
	if p.Title != "New mail from Tanaka Taro" || p.Body != "企画会議の件" || !strings.HasPrefix(p.URL, "/msg?") {
		t.Errorf("notification: %+v", p)
	}
	if body := string(plain); strings.Contains(body, "body text") {
		t.Error("the message body was pushed")
	}

	// A tab is open: it shows the mail itself, and no device is pushed.
	streamResp, stream := b.openStream()
	nextCounts(t, stream, "the tab's first counts")
	_, skippedBefore := e.srv.PushStats()
	e.deliver(t, "alice@localhost", "", simpleMail("bob@example.test", "alice@localhost", "While the tab is open", "x"))
	countsUntil(t, stream, 2, "the tab sees the second mail")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, skipped := e.srv.PushStats(); skipped > skippedBefore {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the push watch never handled the second mail")
		}
	}
	streamResp.Body.Close() // the tab closes
	for deadline := time.Now().Add(30 * time.Second); e.srv.LiveStreams() > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the closed tab's stream stays open")
		}
	}

	// Without content: only "New mail".
	if r := b.post("/settings/push/content", url.Values{"csrf": {b.csrf()}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("content setting: %d", r.StatusCode)
	}
	e.deliver(t, "alice@localhost", "", simpleMail("carol@example.test", "alice@localhost", "Secret subject", "x"))
	got = ps.next(t, "the third mail")
	plain, err = phone.decrypt(got.body)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(plain), "While the tab is open") {
		t.Error("the mail that arrived while the tab was open was pushed")
	}
	if err := json.Unmarshal(plain, &p); err != nil || p.Title != "New mail" || strings.Contains(string(plain), "carol") || strings.Contains(string(plain), "Secret") {
		t.Errorf("bare notification: %s", plain)
	}

	// A second device whose subscription the service dropped: forgotten after one try.
	tablet := newDevice(t)
	b.post("/settings/push/subscribe", url.Values{"csrf": {b.csrf()}, "subscription": {tablet.subscription(ps.URL + "/gone/tablet")}})
	e.deliver(t, "alice@localhost", "", simpleMail("dave@example.test", "alice@localhost", "Fourth", "x"))
	paths := map[string]bool{}
	paths[ps.next(t, "the fourth mail, one device").path] = true
	paths[ps.next(t, "the fourth mail, the other").path] = true
	if !paths["/push/phone-1"] || !paths["/gone/tablet"] {
		t.Errorf("pushed to %v", paths)
	}
	for deadline := time.Now().Add(30 * time.Second); strings.Contains(b.get("/settings/push").body, `name="id" value="2"`); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the gone subscription is still listed")
		}
	}
}
