package dnssetup

import (
	"context"
	"fmt"
	"strings"

	"github.com/miekg/dns"

	"github.com/yubinmail/yubin/mailbackend/dnsresolve"
)

// Status is how DNS compares with one wanted record.
type Status string

const (
	OK        Status = "OK"
	Missing   Status = "MISSING"
	Different Status = "DIFFERENT"
	Failed    Status = "LOOKUP FAILED" // a temporary error: try again
	Skipped   Status = "LATER"         // a Later record not published yet: fine for now
)

// Result is one record checked.
type Result struct {
	Want   Record
	Status Status
	Got    []string // what DNS has for the name and type (or the error)
}

// String is one line for `yubin dns check`: the status, the record and, when it is
// not OK, what DNS has and the fix.
func (r Result) String() string {
	switch r.Status {
	case OK:
		return fmt.Sprintf("OK         %s %s", r.Want.Name, r.Want.Type)
	case Skipped:
		return fmt.Sprintf("LATER      %s %s (not published; see dns records)", r.Want.Name, r.Want.Type)
	case Missing:
		if r.Want.Hint {
			return fmt.Sprintf("MISSING    %s %s\n           fix: add a %s record (%s)", r.Want.Name, r.Want.Type, r.Want.Type, r.Want.Why)
		}
		return fmt.Sprintf("MISSING    %s %s\n           fix: add  %s", r.Want.Name, r.Want.Type, r.Want)
	case Different:
		return fmt.Sprintf("DIFFERENT  %s %s\n           has: %s\n           fix: make it  %s", r.Want.Name, r.Want.Type, strings.Join(r.Got, " | "), r.Want)
	}
	return fmt.Sprintf("%-10s %s %s: %s", r.Status, r.Want.Name, r.Want.Type, strings.Join(r.Got, " "))
}

// Check looks each record up and compares. Hints only need a record of the type.
func Check(ctx context.Context, res *dnsresolve.Resolver, rs []Record) []Result {
	out := make([]Result, 0, len(rs))
	for _, r := range rs {
		out = append(out, checkOne(ctx, res, r))
	}
	return out
}

func checkOne(ctx context.Context, res *dnsresolve.Resolver, want Record) Result {
	qtype := dns.StringToType[want.Type]
	rrs, err := res.Query(ctx, want.Name, qtype)
	if err != nil && dnsresolve.IsTemporary(err) {
		return Result{Want: want, Status: Failed, Got: []string{err.Error()}}
	}
	var got []string
	for _, rr := range rrs {
		if rr.Header().Rrtype == qtype {
			got = append(got, rdata(rr))
		}
	}
	if len(got) == 0 {
		if want.Later {
			return Result{Want: want, Status: Skipped}
		}
		return Result{Want: want, Status: Missing}
	}
	if want.Hint {
		return Result{Want: want, Status: OK, Got: got}
	}
	wantValue := normalize(want.Type, want.Value)
	// For TXT only the records of the same kind compete (an SPF record beside
	// a site-verification token is fine).
	prefix := ""
	if want.Type == "TXT" {
		prefix, _, _ = strings.Cut(wantValue, ";")
		prefix, _, _ = strings.Cut(prefix, " ")
	}
	var sameKind []string
	for _, g := range got {
		g = normalize(want.Type, g)
		if g == wantValue {
			return Result{Want: want, Status: OK, Got: got}
		}
		if prefix == "" || strings.HasPrefix(strings.ToLower(g), strings.ToLower(prefix)) {
			sameKind = append(sameKind, g)
		}
	}
	if len(sameKind) == 0 {
		return Result{Want: want, Status: Missing, Got: got}
	}
	return Result{Want: want, Status: Different, Got: sameKind}
}

// rdata is an answer's data in the form Records writes it.
func rdata(rr dns.RR) string {
	if t, ok := rr.(*dns.TXT); ok {
		return strings.Join(t.Txt, "")
	}
	hdr := rr.Header().String()
	return strings.TrimSpace(strings.TrimPrefix(rr.String(), hdr))
}

// normalize makes two spellings of the same data compare equal: TXT strings
// joined, names lower-case, runs of spaces single.
func normalize(typ, v string) string {
	if typ == "TXT" && strings.HasPrefix(v, `"`) {
		var joined strings.Builder
		for _, part := range strings.Split(v, `" "`) {
			joined.WriteString(strings.Trim(part, `"`))
		}
		v = joined.String()
	}
	v = strings.Join(strings.Fields(v), " ")
	if typ != "TXT" {
		v = strings.ToLower(v)
	}
	return v
}
