package cardclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/carddav"
	"github.com/google/uuid"

	"github.com/yubinmail/yubin/web/addressbook"
)

// Book kinds, as addressbook.Contact.Book names them.
const (
	KindContacts  = "contacts"
	KindCollected = "collected"
)

// MaxResponseBytes bounds one response from the server (a full book's REPORT).
const MaxResponseBytes = 64 << 20

// ErrNoBook: the server has no address book the webmail can write to.
var ErrNoBook = errors.New("cardclient: no address book on the server")

// Server is where the CardDAV server is.
type Server struct {
	URL                string // context URL, e.g. http://127.0.0.1:8080/dav/; "" = no contacts
	InsecureSkipVerify bool   // accept the bundled server's self-signed certificate
}

// Available reports whether contacts are configured.
func (s Server) Available() bool { return s.URL != "" }

// Check refuses a URL over which a password would travel in clear: http:// to a
// host that is not loopback.
func (s Server) Check() error {
	u, err := url.Parse(s.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("carddav URL %q: want http(s)://host[:port]/path", s.URL)
	}
	if u.Scheme == "http" {
		host := u.Hostname()
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("carddav URL %q: plain http only to loopback (the password would travel in clear)", s.URL)
		}
	}
	return nil
}

// Client is one user's view of the server.
type Client struct {
	cd    *carddav.Client
	books map[string]string // kind → path
}

// boundedBody fails a response past MaxResponseBytes.
type boundedBody struct {
	io.ReadCloser
	n int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, errors.New("cardclient: response too large")
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	k, err := b.ReadCloser.Read(p)
	b.n -= int64(k)
	return k, err
}

type boundedTransport struct{ rt http.RoundTripper }

func (t boundedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(r)
	if err == nil {
		resp.Body = &boundedBody{ReadCloser: resp.Body, n: MaxResponseBytes}
	}
	return resp, err
}

func (s Server) httpClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: s.InsecureSkipVerify}
	return &http.Client{Timeout: 30 * time.Second, Transport: boundedTransport{tr},
		// Discovery redirects (RFC 6764) stay on the configured server.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 || req.URL.Host != via[0].URL.Host {
				return http.ErrUseLastResponse
			}
			return nil
		}}
}

// Dial signs in and finds the user's address books: the principal, its home set
// and the books in it. The one named "collected" (the bundled server's path) or
// "Collected addresses" keeps collected addresses; the first other is Contacts.
func (s Server) Dial(ctx context.Context, user, password string) (*Client, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	hc := webdav.HTTPClientWithBasicAuth(s.httpClient(), user, password)
	cd, err := carddav.NewClient(hc, s.URL)
	if err != nil {
		return nil, err
	}
	princ, err := cd.FindCurrentUserPrincipal(ctx)
	if err != nil {
		return nil, fmt.Errorf("carddav: current-user-principal: %w", err)
	}
	home, err := cd.FindAddressBookHomeSet(ctx, princ)
	if err != nil {
		return nil, fmt.Errorf("carddav: addressbook-home-set: %w", err)
	}
	books, err := cd.FindAddressBooks(ctx, home)
	if err != nil {
		return nil, fmt.Errorf("carddav: address books: %w", err)
	}
	c := &Client{cd: cd, books: map[string]string{}}
	for _, b := range books {
		p := strings.TrimSuffix(b.Path, "/")
		if strings.HasSuffix(p, "/"+KindCollected) || b.Name == "Collected addresses" {
			c.books[KindCollected] = b.Path
		} else if c.books[KindContacts] == "" {
			c.books[KindContacts] = b.Path
		}
	}
	if c.books[KindContacts] == "" {
		return nil, ErrNoBook
	}
	return c, nil
}

// HasBook reports whether the server has a book of kind.
func (c *Client) HasBook(kind string) bool { return c.books[kind] != "" }

// List returns every card of the book of kind.
func (c *Client) List(ctx context.Context, kind string) ([]addressbook.Contact, error) {
	p := c.books[kind]
	if p == "" {
		return nil, nil
	}
	aos, err := c.cd.QueryAddressBook(ctx, p, &carddav.AddressBookQuery{DataRequest: carddav.AddressDataRequest{AllProp: true}})
	if err != nil {
		return nil, fmt.Errorf("carddav: list %s: %w", kind, err)
	}
	out := make([]addressbook.Contact, 0, len(aos))
	for _, ao := range aos {
		ct := addressbook.FromCard(ao.Card)
		ct.Path, ct.ETag, ct.Book = ao.Path, ao.ETag, kind
		out = append(out, ct)
	}
	return out, nil
}

// Get reads one card of this user's books.
func (c *Client) Get(ctx context.Context, path string) (addressbook.Contact, error) {
	kind := c.kindOf(path)
	if kind == "" {
		return addressbook.Contact{}, ErrNoBook
	}
	ao, err := c.cd.GetAddressObject(ctx, path)
	if err != nil {
		return addressbook.Contact{}, err
	}
	ct := addressbook.FromCard(ao.Card)
	ct.Path, ct.ETag, ct.Book = path, ao.ETag, kind
	return ct, nil
}

// kindOf is the book a card path is in, "" for a path outside both.
func (c *Client) kindOf(path string) string {
	for kind, p := range c.books {
		if rest, ok := strings.CutPrefix(path, p); ok && rest != "" && !strings.Contains(rest, "/") {
			return kind
		}
	}
	return ""
}

// Save writes ct into the book of ct.Book: a new card (Path "") gets a UUID for its
// UID and its name; an existing one is replaced at its path.
func (c *Client) Save(ctx context.Context, ct addressbook.Contact) (addressbook.Contact, error) {
	if ct.Path == "" {
		p := c.books[ct.Book]
		if p == "" {
			return ct, ErrNoBook
		}
		if ct.UID == "" {
			ct.UID = uuid.NewString()
		}
		ct.Path = p + ct.UID + ".vcf"
		if strings.ContainsAny(ct.UID, "/?#% ") {
			ct.Path = p + uuid.NewString() + ".vcf"
		}
	} else if c.kindOf(ct.Path) == "" {
		return ct, ErrNoBook
	}
	ao, err := c.cd.PutAddressObject(ctx, ct.Path, ct.Card())
	if err != nil {
		return ct, fmt.Errorf("carddav: save: %w", err)
	}
	ct.ETag = ao.ETag
	return ct, nil
}

// Delete removes the card at path (one of this user's books).
func (c *Client) Delete(ctx context.Context, path string) error {
	if c.kindOf(path) == "" {
		return ErrNoBook
	}
	return c.cd.RemoveAll(ctx, path)
}
