package sieve

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Limits on one run of a script over one message.
const (
	// MaxRedirects bounds the copies one message can make us send (RFC 5228
	// section 10 asks implementations to limit redirects).
	MaxRedirects = 4
	// maxSteps bounds the comparison work per message (characters compared by
	// :matches and :contains, values and keys tried): a script of many rules over
	// a message with huge headers stops with an error instead of eating the CPU.
	maxSteps   = 4_000_000
	maxActions = 64
)

// ErrBudget is returned when a run used up its work budget.
var ErrBudget = errors.New("sieve: work budget for one message exceeded")

// Script is a parsed and checked script, safe for concurrent runs.
type Script struct {
	cmds     []*command
	requires map[string]bool
}

// Parse parses and checks a script; errors are *Error with line and column.
func Parse(src string) (*Script, error) {
	cmds, err := parse(src)
	if err != nil {
		return nil, err
	}
	ck := &checker{requires: map[string]bool{}}
	if err := ck.commands(cmds, true); err != nil {
		return nil, err
	}
	return &Script{cmds: cmds, requires: ck.requires}, nil
}

// FileInto is one copy filed into a mailbox.
type FileInto struct {
	Mailbox string
	Flags   []string
	Create  bool // :create (RFC 5490 section 3.2): make the mailbox if missing
}

// Result is what a run decided for one message. Delivery carries it out.
type Result struct {
	// Keep is true when the message goes to INBOX (explicit keep or the implicit
	// keep of RFC 5228 section 2.10.2), with KeepFlags.
	Keep      bool
	KeepFlags []string
	FileInto  []FileInto
	Redirect  []string
	// Reject is set by reject/ereject (RFC 5429): refuse the message with this
	// reason rather than store it.
	Reject   bool
	Reason   string
	Vacation *Vacation
}

type run struct {
	msg        *Message
	res        *Result
	cancelKeep bool
	steps      int
	flags      []string            // the internal flags variable (RFC 5232 section 3)
	flagVars   map[string][]string // other variables used as flag lists
	vars       map[string]string   // RFC 5229 variables (lower-case names)
	matchVars  []string            // ${0}..${9} of the last successful :matches
	useVars    bool
	stopped    bool
}

// Run executes the script over msg. On error, the caller must fall back to
// keeping the message (RFC 5228 section 2.10.6), so Result is then nil.
func (s *Script) Run(msg *Message) (*Result, error) {
	r := &run{msg: msg, res: &Result{}, vars: map[string]string{}, flagVars: map[string][]string{},
		useVars: s.requires["variables"]}
	if err := r.block(s.cmds); err != nil {
		return nil, err
	}
	if !r.cancelKeep {
		r.keep(r.flags)
	}
	return r.res, nil
}

func (r *run) spend(n int) error {
	r.steps += n
	if r.steps > maxSteps {
		return ErrBudget
	}
	return nil
}

func (r *run) block(cmds []*command) error {
	taken := false // an earlier branch of the current if/elsif/else chain ran
	for _, c := range cmds {
		if r.stopped {
			return nil
		}
		if err := r.spend(1); err != nil {
			return err
		}
		switch c.name {
		case "if", "elsif", "else":
			if c.name == "if" {
				taken = false
			}
			if taken {
				continue
			}
			ok := true
			if c.name != "else" {
				var err error
				if ok, err = r.test(c.tests[0]); err != nil {
					return err
				}
			}
			if ok {
				taken = true
				if err := r.block(c.block); err != nil {
					return err
				}
			}
			continue
		}
		if err := r.action(c); err != nil {
			return err
		}
	}
	return nil
}

// str returns a string argument with variables expanded.
func (r *run) str(s string) string {
	if !r.useVars {
		return s
	}
	return r.expand(s)
}

func (r *run) strs(a argument) []string {
	if !r.useVars {
		return a.strs
	}
	out := make([]string, len(a.strs))
	for i, s := range a.strs {
		out[i] = r.expand(s)
	}
	return out
}

func (r *run) action(c *command) error {
	ch := c.checked
	if len(r.res.FileInto)+len(r.res.Redirect) > maxActions {
		return fmt.Errorf("sieve: more than %d actions", maxActions)
	}
	switch c.name {
	case "require":
	case "stop":
		r.stopped = true
	case "keep":
		r.cancelKeep = true
		r.keep(r.flagsArg(ch))
	case "discard":
		r.cancelKeep = true
	case "fileinto":
		f := FileInto{Mailbox: r.str(ch.pos[0].strs[0]), Flags: r.flagsArg(ch)}
		_, f.Create = ch.tags["create"]
		if _, cp := ch.tags["copy"]; !cp {
			r.cancelKeep = true
		}
		if strings.EqualFold(f.Mailbox, "INBOX") {
			r.keep(f.Flags)
			return nil
		}
		for _, g := range r.res.FileInto {
			if g.Mailbox == f.Mailbox { // RFC 5228 section 2.10.3: one copy per mailbox
				return nil
			}
		}
		r.res.FileInto = append(r.res.FileInto, f)
	case "redirect":
		addr := strings.TrimSpace(r.str(ch.pos[0].strs[0]))
		if !plausibleAddress(addr) {
			return fmt.Errorf("sieve: redirect to invalid address %q (line %d)", addr, c.at.line)
		}
		if _, cp := ch.tags["copy"]; !cp {
			r.cancelKeep = true
		}
		for _, a := range r.res.Redirect {
			if strings.EqualFold(a, addr) {
				return nil
			}
		}
		if len(r.res.Redirect) >= MaxRedirects {
			return fmt.Errorf("sieve: more than %d redirects (line %d)", MaxRedirects, c.at.line)
		}
		r.res.Redirect = append(r.res.Redirect, addr)
	case "reject", "ereject":
		// RFC 5429 section 2.1: reject cancels the implicit keep and cannot be
		// combined with keep or fileinto, which this run may have decided already.
		if r.res.Keep || len(r.res.FileInto) > 0 {
			return fmt.Errorf("sieve: %s after keep or fileinto (line %d)", c.name, c.at.line)
		}
		r.cancelKeep = true
		r.res.Reject = true
		r.res.Reason = r.str(ch.pos[0].strs[0])
	case "vacation":
		if r.res.Vacation != nil {
			return fmt.Errorf("sieve: vacation twice (line %d)", c.at.line)
		}
		r.res.Vacation = r.vacation(ch)
	case "setflag", "addflag", "removeflag":
		return r.flagAction(c.name, ch)
	case "set":
		r.set(ch)
	default:
		return fmt.Errorf("sieve: %s not implemented", c.name)
	}
	if r.res.Reject && (r.res.Keep || len(r.res.FileInto) > 0) {
		return errors.New("sieve: reject combined with keep or fileinto")
	}
	return nil
}

func (r *run) keep(flags []string) {
	if r.res.Keep {
		return
	}
	r.res.Keep = true
	r.res.KeepFlags = flags
}

// flagsArg is the :flags argument, or the internal variable without one
// (RFC 5232 section 5).
func (r *run) flagsArg(ch checked) []string {
	if a, ok := ch.tags["flags"]; ok {
		return splitFlags(r.strs(a))
	}
	return append([]string(nil), r.flags...)
}

// plausibleAddress accepts local@domain without spaces, controls or brackets,
// enough to keep a script from injecting SMTP syntax.
func plausibleAddress(a string) bool {
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 || len(a) > 254 {
		return false
	}
	for _, c := range a {
		if c <= ' ' || c == 0x7F || strings.ContainsRune("<>()[],;:\\\"", c) {
			return false
		}
	}
	return true
}

func (r *run) test(t *command) (bool, error) {
	if err := r.spend(1); err != nil {
		return false, err
	}
	ch := t.checked
	switch t.name {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "not":
		ok, err := r.test(t.tests[0])
		return !ok, err
	case "allof", "anyof":
		want := t.name == "anyof"
		for _, sub := range t.tests {
			ok, err := r.test(sub)
			if err != nil || ok == want {
				return ok, err
			}
		}
		return !want, nil
	case "exists":
		for _, name := range r.strs(ch.pos[0]) {
			if len(r.msg.Field(name)) == 0 {
				return false, nil
			}
		}
		return true, nil
	case "size":
		limit := ch.pos[0].num
		if _, over := ch.tags["over"]; over {
			return r.msg.Size() > limit, nil
		}
		return r.msg.Size() < limit, nil
	case "header":
		var values []string
		for _, name := range r.strs(ch.pos[0]) {
			all := r.msg.Header(name)
			if i, ok := pick(ch, len(all)); ok {
				values = append(values, all[i])
			} else if i < 0 {
				values = append(values, all...)
			}
		}
		return r.match(ch, values, r.strs(ch.pos[1]))
	case "address":
		var values []string
		for _, name := range r.strs(ch.pos[0]) {
			addrs := r.msg.addresses(name)
			if i, ok := pick(ch, len(r.msg.Field(name))); ok {
				addrs = addressesIn(r.msg.Field(name)[i])
			} else if i >= 0 {
				addrs = nil
			}
			for _, a := range addrs {
				values = append(values, addressPart(ch, a[0], a[1]))
			}
		}
		return r.match(ch, values, r.strs(ch.pos[1]))
	case "envelope":
		var values []string
		for _, part := range r.strs(ch.pos[0]) {
			var addr string
			switch strings.ToLower(part) {
			case "from":
				addr = r.msg.EnvelopeFrom
			case "to":
				addr = r.msg.EnvelopeTo
			default:
				continue
			}
			if addr == "" {
				// RFC 5228 section 5.4: the null reverse-path matches "" only
				// with :all.
				values = append(values, "")
				continue
			}
			local, domain := addr, ""
			if at := strings.LastIndexByte(addr, '@'); at >= 0 {
				local, domain = addr[:at], addr[at+1:]
			}
			values = append(values, addressPart(ch, local, domain))
		}
		return r.match(ch, values, r.strs(ch.pos[1]))
	case "string":
		return r.match(ch, r.strs(ch.pos[0]), r.strs(ch.pos[1]))
	case "date", "currentdate":
		return r.dateTest(t)
	case "body":
		return r.bodyTest(t)
	case "hasflag":
		var have []string
		if len(ch.pos) == 2 {
			for _, name := range r.strs(ch.pos[0]) {
				have = append(have, r.flagVar(name)...)
			}
		} else {
			have = r.flags
		}
		return r.match(ch, have, r.strs(ch.pos[len(ch.pos)-1]))
	}
	return false, fmt.Errorf("sieve: test %s not implemented", t.name)
}

func addressPart(ch checked, local, domain string) string {
	if _, ok := ch.tags["localpart"]; ok {
		return local
	}
	if _, ok := ch.tags["domain"]; ok {
		return domain
	}
	if domain == "" {
		return local
	}
	return local + "@" + domain
}

// match applies the match type and comparator of ch to every value and key
// (RFC 5228 section 2.7): true when any pair matches.
func (r *run) match(ch checked, values, keys []string) (bool, error) {
	cmp := comparator("i;ascii-casemap")
	if a, ok := ch.tags["comparator"]; ok {
		cmp = comparator(strings.ToLower(a.strs[0]))
	}
	if a, ok := ch.tags["count"]; ok {
		// RFC 5231 section 4.1: the number of values, compared as a number.
		n := strconv.Itoa(len(values))
		for _, k := range keys {
			if relation(a.strs[0], comparator("i;ascii-numeric").compare(n, k)) {
				return true, nil
			}
		}
		return false, nil
	}
	rel, isValue := ch.tags["value"]
	_, contains := ch.tags["contains"]
	_, matches := ch.tags["matches"]
	for _, v := range values {
		for _, k := range keys {
			if err := r.spend(1 + len(k)); err != nil {
				return false, err
			}
			var ok bool
			switch {
			case isValue:
				ok = relation(rel.strs[0], cmp.compare(v, k))
			case contains:
				if err := r.spend(len(v)); err != nil {
					return false, err
				}
				ok = strings.Contains(cmp.fold(v), cmp.fold(k))
			case matches:
				var caps []string
				var steps int
				ok, caps, steps = glob(k, v, cmp.fold, r.useVars, maxSteps-r.steps+1)
				if err := r.spend(steps); err != nil {
					return false, err
				}
				if ok && r.useVars {
					r.matchVars = append([]string{v}, caps...)
				}
			default:
				ok = cmp.compare(v, k) == 0
			}
			if ok {
				return true, nil
			}
		}
	}
	return false, nil
}
