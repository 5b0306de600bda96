package queue

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/yubinmail/yubin/mailbackend/dnsresolve"
)

// MTA-STS (RFC 8461): a domain can ask, through a TXT record and a policy file on
// an HTTPS server with a valid certificate, that mail reach it only over verified
// TLS to the MX hosts it names. In "enforce" mode the queue then delivers only to
// matching MX hosts, requires STARTTLS with a certificate valid for the MX name,
// and defers the message otherwise; "testing" and "none" change nothing.

const (
	stsFetchTimeout = 20 * time.Second
	stsMaxPolicy    = 64 << 10               // RFC 8461 section 3.3: a policy is small
	stsMaxAge       = 31557600 * time.Second // section 3.2: max_age is at most a year
	stsMaxCached    = 10000                  // domains remembered; the cache starts over beyond
)

// stsPolicy is a fetched policy (RFC 8461 section 3.2).
type stsPolicy struct {
	id      string // of the TXT record it was fetched under
	mode    string // "enforce", "testing" or "none"
	mx      []string
	maxAge  time.Duration
	expires time.Time
}

// stsCache remembers policies until their max_age, so that an attacker who strips
// the TXT record or blocks the HTTPS fetch cannot switch enforcement off for a
// domain we already know (RFC 8461 section 5.1). It lives in memory: after a
// restart each domain's policy is fetched again.
type stsCache struct {
	mu sync.Mutex
	m  map[string]*stsPolicy
}

func (c *stsCache) get(domain string, now time.Time) *stsPolicy {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.m[domain]
	if p != nil && now.After(p.expires) {
		delete(c.m, domain)
		return nil
	}
	return p
}

func (c *stsCache) put(domain string, p *stsPolicy) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= stsMaxCached {
		c.m = make(map[string]*stsPolicy)
	}
	c.m[domain] = p
}

// mtaSTS returns the policy in force for domain, or nil. Failures to find or fetch
// a new policy fall back to the cached one (section 5.1), and without one to none.
func (q *Queue) mtaSTS(ctx context.Context, res *dnsresolve.Resolver, domain string) *stsPolicy {
	now := q.now()
	cached := q.sts.get(domain, now)
	txts, err := res.LookupTXT(ctx, "_mta-sts."+domain)
	if err != nil {
		return cached
	}
	id := ""
	for _, t := range txts {
		// Section 3.1: "v=STSv1" first, then "id=" of 1 to 32 alphanumerics.
		if v, ok := strings.CutPrefix(t, "v=STSv1"); ok {
			for _, f := range strings.Split(v, ";") {
				if val, ok := strings.CutPrefix(strings.TrimSpace(f), "id="); ok {
					id = val
				}
			}
		}
	}
	if id == "" {
		return cached
	}
	if cached != nil && cached.id == id {
		return cached
	}
	p, err := q.fetchSTS(ctx, res, domain)
	if err != nil {
		q.log.Warn("queue: MTA-STS policy fetch failed", "domain", domain, "error", err)
		return cached
	}
	p.id = id
	p.expires = now.Add(p.maxAge)
	q.sts.put(domain, p)
	return p
}

// fetchSTS gets https://mta-sts.DOMAIN/.well-known/mta-sts.txt: the certificate must
// be valid for that name, redirects are not followed (section 3.3), the size and
// time are bounded, and the host is found through our resolver.
func (q *Queue) fetchSTS(ctx context.Context, res *dnsresolve.Resolver, domain string) (*stsPolicy, error) {
	host := "mta-sts." + domain
	port := "443"
	if q.cfg.MTASTSPort != 0 {
		port = strconv.Itoa(q.cfg.MTASTSPort)
	}
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		addrs, err := res.Addrs(ctx, host)
		if err != nil {
			return nil, err
		}
		var d net.Dialer
		var lastErr error
		for _, a := range addrs {
			c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
			if err == nil {
				return c, nil
			}
			lastErr = err
		}
		return nil, lastErr
	}
	client := &http.Client{
		Timeout: stsFetchTimeout,
		Transport: &http.Transport{
			DialContext:       dial,
			TLSClientConfig:   &tls.Config{ServerName: host, RootCAs: q.cfg.RootCAs, MinVersion: tls.VersionTLS12},
			DisableKeepAlives: true,
			Proxy:             nil,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+host+"/.well-known/mta-sts.txt", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("policy fetch: HTTP %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "text/plain") {
		return nil, fmt.Errorf("policy fetch: Content-Type %q, want text/plain", ct)
	}
	return parseSTSPolicy(io.LimitReader(resp.Body, stsMaxPolicy))
}

// parseSTSPolicy reads "key: value" lines (section 3.2).
func parseSTSPolicy(r io.Reader) (*stsPolicy, error) {
	p := &stsPolicy{}
	var version string
	maxAge := time.Duration(-1)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "version":
			version = v
		case "mode":
			p.mode = v
		case "mx":
			p.mx = append(p.mx, strings.ToLower(strings.TrimSuffix(v, ".")))
		case "max_age":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("policy: bad max_age %q", v)
			}
			maxAge = min(time.Duration(n)*time.Second, stsMaxAge)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	switch {
	case version != "STSv1":
		return nil, errors.New("policy: version is not STSv1")
	case p.mode != "enforce" && p.mode != "testing" && p.mode != "none":
		return nil, fmt.Errorf("policy: bad mode %q", p.mode)
	case maxAge < 0:
		return nil, errors.New("policy: no max_age")
	case p.mode != "none" && len(p.mx) == 0:
		return nil, errors.New("policy: no mx")
	}
	p.maxAge = maxAge
	return p, nil
}

// matches reports whether the policy allows MX host name (section 4.1: a pattern
// "*.example.com" matches exactly one more label on the left).
func (p *stsPolicy) matches(name string) bool {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	for _, pat := range p.mx {
		if rest, ok := strings.CutPrefix(pat, "*."); ok {
			if label, tail, found := strings.Cut(name, "."); found && label != "" && tail == rest {
				return true
			}
			continue
		}
		if name == pat {
			return true
		}
	}
	return false
}
