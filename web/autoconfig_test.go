package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/testtool"
	"github.com/yubinmail/yubin/web"
	"github.com/yubinmail/yubin/web/autoconfig"
)

// tbConfig is what Thunderbird's parser reads of config-v1.1.xml (the
// clientConfig/emailProvider elements its account wizard takes the servers from),
// declared here apart from the package's own types so a renamed field shows.
type tbConfig struct {
	XMLName   xml.Name `xml:"clientConfig"`
	Version   string   `xml:"version,attr"`
	Providers []struct {
		ID       string     `xml:"id,attr"`
		Domains  []string   `xml:"domain"`
		Incoming []tbServer `xml:"incomingServer"`
		Outgoing []tbServer `xml:"outgoingServer"`
	} `xml:"emailProvider"`
}

type tbServer struct {
	Type           string `xml:"type,attr"`
	Hostname       string `xml:"hostname"`
	Port           int    `xml:"port"`
	SocketType     string `xml:"socketType"`
	Username       string `xml:"username"`
	Authentication string `xml:"authentication"`
}

// adResponse is what Outlook reads of a 2006a autodiscover answer.
type adResponse struct {
	XMLName  xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Autodiscover"`
	Response struct {
		XMLName xml.Name
		Account struct {
			AccountType string
			Action      string
			Protocol    []adProtocol
		}
		Error struct {
			ErrorCode int
		}
	}
}

type adProtocol struct {
	Type, Server                    string
	Port                            int
	LoginName, SSL, Encryption, SPA string
	AuthRequired, DomainRequired    string
}

// autoconfigEnv is the webmail in front of the real mail server, its local domains
// those of the server's store (example.test added besides the dev "localhost"), on
// a loopback port; the ports are production ones, as cmd/yubin passes them.
func autoconfigEnv(t *testing.T, s autoconfig.Settings) (*env, string) {
	t.Helper()
	e := newEnv(t)
	if err := e.run.Store.AddDomain(context.Background(), "example.test"); err != nil {
		t.Fatal(err)
	}
	s.Hostname = "mail.example.test"
	s.IsLocalDomain = e.run.Store.IsLocalDomain
	srv, err := web.New(web.Config{
		IMAPAddr: e.run.Addr("imap"), SMTPAddr: e.run.Addr("submission"), InsecureSkipVerify: true,
		DataDir: t.TempDir(), Hostname: "mail.example.test", Log: e.log, Autoconfig: s,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return e, ts.URL
}

var allPorts = autoconfig.Settings{IMAPS: 993, IMAP: 143, POP3S: 995, POP3: 110, Submissions: 465, Submission: 587}

// fetch sends a request with a plain HTTP client (no cookies) and returns the
// status and body.
func fetch(t *testing.T, method, u, host, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestThunderbirdAutoconfig(t *testing.T) {
	_, base := autoconfigEnv(t, allPorts)
	wantIn := []tbServer{
		{"imap", "mail.example.test", 993, "SSL", "%EMAILADDRESS%", "password-cleartext"},
		{"imap", "mail.example.test", 143, "STARTTLS", "%EMAILADDRESS%", "password-cleartext"},
		{"pop3", "mail.example.test", 995, "SSL", "%EMAILADDRESS%", "password-cleartext"},
		{"pop3", "mail.example.test", 110, "STARTTLS", "%EMAILADDRESS%", "password-cleartext"},
	}
	wantOut := []tbServer{
		{"smtp", "mail.example.test", 465, "SSL", "%EMAILADDRESS%", "password-cleartext"},
		{"smtp", "mail.example.test", 587, "STARTTLS", "%EMAILADDRESS%", "password-cleartext"},
	}
	for _, tc := range []struct{ name, path, host string }{
		{"well-known with address", "/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=" + url.QueryEscape("Bob@Example.test"), ""},
		{"autoconfig host with address", "/mail/config-v1.1.xml?emailaddress=bob%40example.test", "autoconfig.example.test"},
		{"autoconfig host alone", "/mail/config-v1.1.xml", "autoconfig.example.test:8080"},
		{"well-known on the domain", "/.well-known/autoconfig/mail/config-v1.1.xml", "example.test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := fetch(t, "GET", base+tc.path, tc.host, "")
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			var got tbConfig
			if err := xml.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("Thunderbird could not parse it: %v\n%s", err, body)
			}
			if got.Version != "1.1" || len(got.Providers) != 1 {
				t.Fatalf("want one emailProvider of version 1.1, got %+v", got)
			}
			p := got.Providers[0]
			if p.ID != "example.test" || !reflect.DeepEqual(p.Domains, []string{"example.test"}) {
				t.Errorf("provider %q domains %q, want example.test", p.ID, p.Domains)
			}
			if !reflect.DeepEqual(p.Incoming, wantIn) {
				t.Errorf("incoming servers\n got %+v\nwant %+v", p.Incoming, wantIn)
			}
			if !reflect.DeepEqual(p.Outgoing, wantOut) {
				t.Errorf("outgoing servers\n got %+v\nwant %+v", p.Outgoing, wantOut)
			}
		})
	}
}

// TestThunderbirdAutoconfigOffersOnlyListenersThatAreOn: a listener switched off in
// the configuration is not offered.
func TestThunderbirdAutoconfigOffersOnlyListenersThatAreOn(t *testing.T) {
	_, base := autoconfigEnv(t, autoconfig.Settings{IMAPS: 993, Submission: 587})
	status, body := fetch(t, "GET", base+"/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=a%40localhost", "", "")
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var got tbConfig
	if err := xml.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	in, out := got.Providers[0].Incoming, got.Providers[0].Outgoing
	if len(in) != 1 || in[0].Port != 993 || in[0].SocketType != "SSL" || len(out) != 1 || out[0].Port != 587 || out[0].SocketType != "STARTTLS" {
		t.Errorf("want IMAPS 993 and submission 587 only, got %+v / %+v", in, out)
	}
}

func TestAutoconfigUnknownDomainIsNotFound(t *testing.T) {
	e, base := autoconfigEnv(t, allPorts)
	for _, tc := range []struct{ path, host string }{
		{"/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=bob%40stranger.test", ""},
		{"/mail/config-v1.1.xml?emailaddress=bob%40example.test.evil.test", "autoconfig.example.test"},
		{"/mail/config-v1.1.xml", "autoconfig.stranger.test"},
		{"/mail/config-v1.1.xml?emailaddress=not-an-address", "autoconfig.example.test"},
		{"/.well-known/autoconfig/mail/config-v1.1.xml", "127.0.0.1"},
		{"/autodiscover/autodiscover.json?Email=bob%40stranger.test&Protocol=AutodiscoverV1", ""},
	} {
		if status, body := fetch(t, "GET", base+tc.path, tc.host, ""); status != http.StatusNotFound {
			t.Errorf("GET %s (Host %q): status %d, want 404: %.200s", tc.path, tc.host, status, body)
		}
	}
	// A domain added while the server runs is local from then on.
	if err := e.run.Store.AddDomain(context.Background(), "later.test"); err != nil {
		t.Fatal(err)
	}
	if status, _ := fetch(t, "GET", base+"/mail/config-v1.1.xml", "autoconfig.later.test", ""); status != http.StatusOK {
		t.Errorf("domain added at run time: status %d, want 200", status)
	}
}

func autodiscoverBody(addr, schema string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>` + addr + `</EMailAddress>
    <AcceptableResponseSchema>` + schema + `</AcceptableResponseSchema>
  </Request>
</Autodiscover>`
}

const outlookSchema = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"

func TestOutlookAutodiscover(t *testing.T) {
	_, base := autoconfigEnv(t, allPorts)
	want := []adProtocol{
		{Type: "IMAP", Server: "mail.example.test", Port: 993, LoginName: "bob@example.test", SSL: "on", Encryption: "SSL", SPA: "off", AuthRequired: "on", DomainRequired: "off"},
		{Type: "SMTP", Server: "mail.example.test", Port: 465, LoginName: "bob@example.test", SSL: "on", Encryption: "SSL", SPA: "off", AuthRequired: "on", DomainRequired: "off"},
	}
	for _, tc := range []struct {
		name, path string
		header     []string
	}{
		{"POX", "/autodiscover/autodiscover.xml", []string{"Content-Type", "text/xml"}},
		{"Exchange spelling", "/Autodiscover/Autodiscover.xml", nil},
		// No cookie, no CSRF token, and an Origin of its own: still answered.
		{"with a foreign Origin", "/autodiscover/autodiscover.xml", []string{"Origin", "https://elsewhere.test", "Sec-Fetch-Site", "cross-site"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := fetch(t, "POST", base+tc.path, "", autodiscoverBody("Bob@example.test", outlookSchema), tc.header...)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			var got adResponse
			if err := xml.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("unparsable answer: %v\n%s", err, body)
			}
			if got.Response.XMLName.Space != outlookSchema {
				t.Errorf("Response in namespace %q, want %q", got.Response.XMLName.Space, outlookSchema)
			}
			a := got.Response.Account
			if a.AccountType != "email" || a.Action != "settings" {
				t.Errorf("AccountType %q Action %q, want email/settings", a.AccountType, a.Action)
			}
			if !reflect.DeepEqual(a.Protocol, want) {
				t.Errorf("protocols\n got %+v\nwant %+v", a.Protocol, want)
			}
		})
	}
}

// TestOutlookAutodiscoverSTARTTLSOnly: with only the STARTTLS listeners on, Outlook
// is told to use TLS (STARTTLS) on 143 and 587.
func TestOutlookAutodiscoverSTARTTLSOnly(t *testing.T) {
	_, base := autoconfigEnv(t, autoconfig.Settings{IMAP: 143, Submission: 587})
	status, body := fetch(t, "POST", base+"/autodiscover/autodiscover.xml", "", autodiscoverBody("bob@example.test", outlookSchema))
	var got adResponse
	if err := xml.Unmarshal([]byte(body), &got); status != http.StatusOK || err != nil {
		t.Fatalf("status %d, %v: %s", status, err, body)
	}
	p := got.Response.Account.Protocol
	if len(p) != 2 || p[0].Port != 143 || p[0].Encryption != "TLS" || p[1].Port != 587 || p[1].Encryption != "TLS" {
		t.Errorf("want IMAP 143 and SMTP 587 with Encryption TLS, got %+v", p)
	}
}

func TestOutlookAutodiscoverRefusals(t *testing.T) {
	_, base := autoconfigEnv(t, allPorts)
	big := autodiscoverBody("bob@example.test", outlookSchema) + "<!--" + strings.Repeat("x", autoconfig.MaxAutodiscoverBytes) + "-->"
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"stranger's domain", autodiscoverBody("bob@stranger.test", outlookSchema), http.StatusNotFound},
		{"not XML", "EMailAddress=bob@example.test", http.StatusBadRequest},
		{"empty", "", http.StatusBadRequest},
		{"no address", autodiscoverBody("", outlookSchema), http.StatusBadRequest},
		{"unclosed", `<Autodiscover><Request><EMailAddress>bob@example.test`, http.StatusBadRequest},
		{"deep nesting", strings.Repeat("<a>", 5000), http.StatusBadRequest},
		{"too large", big, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := fetch(t, "POST", base+"/autodiscover/autodiscover.xml", "", tc.body); status != tc.want {
				t.Errorf("status %d, want %d: %.200s", status, tc.want, body)
			}
		})
	}
	// ActiveSync's schema is not served: the protocol's error 601, not settings.
	status, body := fetch(t, "POST", base+"/autodiscover/autodiscover.xml", "",
		autodiscoverBody("bob@example.test", "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"))
	var got adResponse
	if err := xml.Unmarshal([]byte(body), &got); status != http.StatusOK || err != nil || got.Response.Error.ErrorCode != 601 || len(got.Response.Account.Protocol) != 0 {
		t.Errorf("mobilesync schema: status %d, err %v, answer %s", status, err, body)
	}
}

func TestOutlookAutodiscoverJSON(t *testing.T) {
	_, base := autoconfigEnv(t, allPorts)
	for _, path := range []string{
		"/autodiscover/autodiscover.json?Email=bob%40example.test&Protocol=AutodiscoverV1",
		"/autodiscover/autodiscover.json/v1.0/bob@example.test?Protocol=autodiscoverv1",
	} {
		status, body := fetch(t, "GET", base+path, "", "")
		var got map[string]string
		if err := json.Unmarshal([]byte(body), &got); status != http.StatusOK || err != nil {
			t.Fatalf("GET %s: status %d, %v: %s", path, status, err, body)
		}
		want := map[string]string{"Protocol": "AutodiscoverV1", "Url": "https://mail.example.test/autodiscover/autodiscover.xml"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("GET %s: %v, want %v", path, got, want)
		}
	}
	status, body := fetch(t, "GET", base+"/autodiscover/autodiscover.json?Email=bob%40example.test&Protocol=ActiveSync", "", "")
	if status != http.StatusBadRequest || !strings.Contains(body, "InvalidProtocol") {
		t.Errorf("ActiveSync: status %d, want 400 InvalidProtocol: %s", status, body)
	}
}

// TestAppleProfileForTheSignedInUser: the signed-in user downloads a .mobileconfig
// that parses as a plist with one com.apple.mail.managed payload for their own
// address and this server's IMAP and SMTP ports; signed out, the sign-in page.
func TestAppleProfileForTheSignedInUser(t *testing.T) {
	e, base := autoconfigEnv(t, allPorts)
	b := e.browser(t)
	b.base = base
	if r := b.get(autoconfig.MobileConfigPath); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("signed out: status %d Location %q, want a redirect to /login", r.StatusCode, r.Header.Get("Location"))
	}
	b.mustLogin("alice@localhost")
	r := b.get(autoconfig.MobileConfigPath)
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "application/x-apple-aspen-config" {
		t.Fatalf("status %d, Content-Type %q: %.300s", r.StatusCode, r.Header.Get("Content-Type"), r.body)
	}
	v, err := parsePlist(r.body)
	if err != nil {
		t.Fatalf("not a plist: %v\n%s", err, r.body)
	}
	top, _ := v.(map[string]any)
	if top["PayloadType"] != "Configuration" || top["PayloadVersion"] != 1 || top["PayloadUUID"] == "" {
		t.Errorf("profile: %v", top)
	}
	content, _ := top["PayloadContent"].([]any)
	if len(content) != 1 {
		t.Fatalf("want one payload, got %v", top["PayloadContent"])
	}
	mail, _ := content[0].(map[string]any)
	want := map[string]any{
		"PayloadType":                "com.apple.mail.managed",
		"EmailAccountType":           "EmailTypeIMAP",
		"EmailAddress":               "alice@localhost",
		"IncomingMailServerHostName": "mail.example.test", "IncomingMailServerPortNumber": 993, "IncomingMailServerUseSSL": true,
		"IncomingMailServerUsername": "alice@localhost", "IncomingMailServerAuthentication": "EmailAuthPassword",
		"OutgoingMailServerHostName": "mail.example.test", "OutgoingMailServerPortNumber": 465, "OutgoingMailServerUseSSL": true,
		"OutgoingMailServerUsername": "alice@localhost", "OutgoingPasswordSameAsIncomingPassword": true,
	}
	for k, w := range want {
		if mail[k] != w {
			t.Errorf("%s = %#v, want %#v", k, mail[k], w)
		}
	}
	if _, ok := mail["IncomingPassword"]; ok {
		t.Error("the profile carries a password")
	}
	// Downloaded again: the same UUIDs, so installing it replaces the account.
	again, err := parsePlist(b.get(autoconfig.MobileConfigPath).body)
	if err != nil || again.(map[string]any)["PayloadUUID"] != top["PayloadUUID"] {
		t.Errorf("second download: UUID %v, first %v (%v)", again, top["PayloadUUID"], err)
	}
}

// parsePlist reads an XML property list (Apple's PropertyList-1.0 DTD) into maps,
// slices, strings, ints and bools with encoding/xml.
func parsePlist(doc string) (any, error) {
	d := xml.NewDecoder(strings.NewReader(doc))
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "plist" {
			return plistValue(d, nil)
		}
	}
}

// plistValue reads the next value element (start is it when already read).
func plistValue(d *xml.Decoder, start *xml.StartElement) (any, error) {
	for start == nil {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		if se, ok := tok.(xml.StartElement); ok {
			start = &se
		} else if _, ok := tok.(xml.EndElement); ok {
			return nil, io.EOF // end of the enclosing array or dict
		}
	}
	switch start.Name.Local {
	case "dict":
		m := map[string]any{}
		for {
			var key string
			tok, err := d.Token()
			for ; err == nil; tok, err = d.Token() {
				if se, ok := tok.(xml.StartElement); ok {
					if se.Name.Local != "key" {
						return nil, fmt.Errorf("<%s> where a <key> belongs", se.Name.Local)
					}
					if err := d.DecodeElement(&key, &se); err != nil {
						return nil, err
					}
					break
				}
				if _, ok := tok.(xml.EndElement); ok {
					return m, nil
				}
			}
			if err != nil {
				return nil, err
			}
			v, err := plistValue(d, nil)
			if err != nil {
				return nil, fmt.Errorf("value of %s: %w", key, err)
			}
			m[key] = v
		}
	case "array":
		var a []any
		for {
			v, err := plistValue(d, nil)
			if err == io.EOF {
				return a, nil
			}
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
	case "string", "integer":
		var s string
		if err := d.DecodeElement(&s, start); err != nil {
			return nil, err
		}
		if start.Name.Local == "integer" {
			return strconv.Atoi(s)
		}
		return s, nil
	case "true", "false":
		if err := d.Skip(); err != nil {
			return nil, err
		}
		return start.Name.Local == "true", nil
	}
	return nil, fmt.Errorf("unexpected <%s>", start.Name.Local)
}

// TestSetupPage: the signed-in user's setup page lists the server and its ports,
// and its QR code, read back by zbarimg as a phone's camera would, opens the
// profile download on this webmail.
func TestSetupPage(t *testing.T) {
	e, base := autoconfigEnv(t, autoconfig.Settings{IMAPS: 993, Submissions: 465, Submission: 587})
	b := e.browser(t)
	b.base = base
	b.mustLogin("alice@localhost")
	r := b.get("/mail?f=INBOX")
	mustContain(t, r.body, `href="/setup"`)
	r = b.get("/setup")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d", r.StatusCode)
	}
	cell := regexp.MustCompile(`<tr><td>([A-Z0-9]+)</td><td>([^<]+)</td><td>(\d+)</td><td>([^<]+)</td></tr>`)
	var rows []string
	for _, m := range cell.FindAllStringSubmatch(r.body, -1) {
		rows = append(rows, strings.Join(m[1:], " "))
	}
	want := []string{"IMAP mail.example.test 993 SSL/TLS", "SMTP mail.example.test 465 SSL/TLS", "SMTP mail.example.test 587 STARTTLS"}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("server rows %q, want %q", rows, want)
	}
	profile := base + autoconfig.MobileConfigPath
	mustContain(t, r.body, `href="`+profile+`"`)

	m := regexp.MustCompile(`src="data:image/png;base64,([A-Za-z0-9+/=]+)"`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no QR code image:\n%s", r.body)
	}
	png, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		t.Fatal(err)
	}
	zbar := testtool.Path(t, "zbarimg")
	f := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(f, png, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(zbar, "--quiet", "--raw", f).Output()
	if err != nil {
		t.Fatalf("zbarimg could not read the QR code: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != profile {
		t.Errorf("QR code says %q, want %q", got, profile)
	}
	// What it points at: the profile, for this user.
	if r := b.get(autoconfig.MobileConfigPath); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "<string>alice@localhost</string>") {
		t.Errorf("profile link: status %d", r.StatusCode)
	}
}

// TestAppleProfileCarriesCardDAV: when CardDAV is offered over HTTPS the profile
// has a com.apple.carddav.account payload beside the mail one, with the user's
// principal URL on this server and no password; without it, none.
func TestAppleProfileCarriesCardDAV(t *testing.T) {
	s := allPorts
	s.CardDAVPort, s.CardDAVPath = 443, "/dav/"
	e, base := autoconfigEnv(t, s)
	b := e.browser(t)
	b.base = base
	b.mustLogin("alice@localhost")
	v, err := parsePlist(b.get(autoconfig.MobileConfigPath).body)
	if err != nil {
		t.Fatal(err)
	}
	content, _ := v.(map[string]any)["PayloadContent"].([]any)
	if len(content) != 2 {
		t.Fatalf("want mail and CardDAV payloads, got %v", content)
	}
	dav, _ := content[1].(map[string]any)
	want := map[string]any{
		"PayloadType": "com.apple.carddav.account", "CardDAVHostName": "mail.example.test", "CardDAVPort": 443,
		"CardDAVUseSSL": true, "CardDAVUsername": "alice@localhost", "CardDAVPrincipalURL": "/dav/alice@localhost/",
	}
	for k, w := range want {
		if dav[k] != w {
			t.Errorf("%s = %#v, want %#v", k, dav[k], w)
		}
	}
	if _, ok := dav["CardDAVPassword"]; ok {
		t.Error("the CardDAV payload carries a password")
	}
	if content[0].(map[string]any)["PayloadUUID"] == dav["PayloadUUID"] {
		t.Error("two payloads share a UUID")
	}
}
