package directory

import (
	"fmt"
	"strings"
	"testing"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzFilters: whatever an outsider sends as a login or RCPT TO address, the search
// filter built from it compiles and has exactly the shape of the configured template
// (the same tree of and/or/not/equality nodes as for a plain "x"): no input adds a
// wildcard, a clause or a parenthesis, so none widens a search to someone else's
// entry (RFC 4515 escaping).
func FuzzFilters(f *testing.F) {
	for _, s := range []string{"alice@example.test", "*", "alice@example.test)(mail=*", "*)(|(uid=*",
		"\\2a", "a\x00b", "(", ")", "\\", "smtp:*", "山田@例え.jp", strings.Repeat("(*", 200)} {
		f.Add(s)
	}
	dirs := []*Directory{
		{cfg: Config{UserFilter: "(&(objectClass=inetOrgPerson)(mail=%s))",
			GroupFilter: "(&(objectClass=groupOfNames)(member=%s))", AliasAttr: "mailAlternateAddress"}},
		{cfg: Config{UserFilter: "(&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2))(|(mail=%s)(userPrincipalName=%s)))",
			GroupFilter: "(&(objectClass=group)(cn=Mail Users)(member=%s))", AliasAttr: "proxyAddresses"}},
	}
	f.Fuzz(func(t *testing.T, input string) {
		fuzzbudget.Run(t, func() {
			for _, d := range dirs {
				for _, build := range []func(string) string{d.userFilter, d.groupFilter, d.aliasFilter} {
					want := filterShape(t, build("x"))
					if got := filterShape(t, build(input)); got != want {
						t.Fatalf("input %q changes the filter's shape: %s\nwant %s", input, build(input), want)
					}
				}
			}
		})
	})
}

// filterShape is the tree of filter choices (RFC 4511 section 4.5.1.7 tags) without
// the values.
func filterShape(t *testing.T, filter string) string {
	p, err := ldap.CompileFilter(filter)
	if err != nil {
		t.Fatalf("filter %q does not compile: %v", filter, err)
	}
	var b strings.Builder
	var walk func(*ber.Packet)
	walk = func(p *ber.Packet) {
		fmt.Fprintf(&b, "%d(", p.Tag)
		if p.ClassType == ber.ClassContext && p.TagType == ber.TypeConstructed {
			for _, c := range p.Children {
				walk(c)
			}
		}
		b.WriteString(")")
	}
	walk(p)
	return b.String()
}
