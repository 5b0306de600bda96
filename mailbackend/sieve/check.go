package sieve

import (
	"strings"
)

// argType is what a positional argument or a tag's parameter must be.
type argType int

const (
	argNone    argType = iota // a tag without a parameter
	argString                 // exactly one string
	argStrings                // a string list (or one string)
	argNumber
)

type tagSpec struct {
	param argType
	ext   string // extension the tag needs ("" = core)
	group string // tags of one group exclude each other
}

// spec says what a command or test accepts (RFC 5228 sections 3-5 and the
// extensions' own sections).
type spec struct {
	ext     string
	tags    map[string]tagSpec
	pos     []argType
	minPos  int // fewer positional arguments allowed (setflag's optional variable)
	tests   int // 0: none, 1: one test, 2: a test list of one or more
	block   bool
	isTest  bool
	needTag string // group of which one tag is required (size: :over or :under)
}

var (
	comparatorTag = map[string]tagSpec{"comparator": {param: argString}}
	matchTags     = map[string]tagSpec{
		"is": {group: "match"}, "contains": {group: "match"}, "matches": {group: "match"},
		"count": {param: argString, ext: "relational", group: "match"},
		"value": {param: argString, ext: "relational", group: "match"},
	}
	partTags = map[string]tagSpec{
		"all": {group: "part"}, "localpart": {group: "part"}, "domain": {group: "part"},
	}
)

func merge(ms ...map[string]tagSpec) map[string]tagSpec {
	out := map[string]tagSpec{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// indexTags select one occurrence of a header field (RFC 5260 section 6).
var indexTags = map[string]tagSpec{"index": {param: argNumber, ext: "index"}, "last": {ext: "index"}}

var zoneTags = map[string]tagSpec{"zone": {param: argString, group: "zone"}, "originalzone": {group: "zone"}}

var flagsTag = map[string]tagSpec{"flags": {param: argStrings, ext: "imap4flags"}}

var commands = map[string]spec{
	"require":  {pos: []argType{argStrings}},
	"if":       {tests: 1, block: true},
	"elsif":    {tests: 1, block: true},
	"else":     {block: true},
	"stop":     {},
	"keep":     {tags: flagsTag},
	"discard":  {},
	"fileinto": {ext: "fileinto", pos: []argType{argString}, tags: merge(flagsTag, map[string]tagSpec{"copy": {ext: "copy"}, "create": {ext: "mailbox"}})},
	"redirect": {pos: []argType{argString}, tags: map[string]tagSpec{"copy": {ext: "copy"}}},
	"reject":   {ext: "reject", pos: []argType{argString}},
	"ereject":  {ext: "ereject", pos: []argType{argString}},
	"vacation": {ext: "vacation", pos: []argType{argString}, tags: map[string]tagSpec{
		"days": {param: argNumber}, "subject": {param: argString}, "from": {param: argString},
		"addresses": {param: argStrings}, "mime": {}, "handle": {param: argString}}},
	"setflag":    {ext: "imap4flags", pos: []argType{argString, argStrings}, minPos: 1},
	"addflag":    {ext: "imap4flags", pos: []argType{argString, argStrings}, minPos: 1},
	"removeflag": {ext: "imap4flags", pos: []argType{argString, argStrings}, minPos: 1},
	"set": {ext: "variables", pos: []argType{argString, argString}, tags: map[string]tagSpec{
		"lower": {group: "case"}, "upper": {group: "case"}, "lowerfirst": {group: "first"},
		"upperfirst": {group: "first"}, "quotewildcard": {}, "length": {}}},
}

var tests = map[string]spec{
	"address":  {isTest: true, pos: []argType{argStrings, argStrings}, tags: merge(comparatorTag, matchTags, partTags, indexTags)},
	"envelope": {isTest: true, ext: "envelope", pos: []argType{argStrings, argStrings}, tags: merge(comparatorTag, matchTags, partTags)},
	"header":   {isTest: true, pos: []argType{argStrings, argStrings}, tags: merge(comparatorTag, matchTags, indexTags)},
	"exists":   {isTest: true, pos: []argType{argStrings}},
	"size":     {isTest: true, pos: []argType{argNumber}, tags: map[string]tagSpec{"over": {group: "size"}, "under": {group: "size"}}, needTag: "size"},
	"allof":    {isTest: true, tests: 2},
	"anyof":    {isTest: true, tests: 2},
	"not":      {isTest: true, tests: 1},
	"true":     {isTest: true},
	"false":    {isTest: true},
	"hasflag":  {isTest: true, ext: "imap4flags", pos: []argType{argStrings, argStrings}, minPos: 1, tags: merge(comparatorTag, matchTags)},
	"date": {isTest: true, ext: "date", pos: []argType{argString, argString, argStrings},
		tags: merge(comparatorTag, matchTags, zoneTags, indexTags)},
	"currentdate": {isTest: true, ext: "date", pos: []argType{argString, argStrings},
		tags: merge(comparatorTag, matchTags, map[string]tagSpec{"zone": {param: argString, group: "zone"}})},
	"body": {isTest: true, ext: "body", pos: []argType{argStrings},
		tags: merge(comparatorTag, matchTags, map[string]tagSpec{"raw": {group: "transform"}, "text": {group: "transform"}})},
	"string": {isTest: true, ext: "variables", pos: []argType{argStrings, argStrings}, tags: merge(comparatorTag, matchTags)},
}

// Extensions are the capabilities this interpreter implements, as ManageSieve
// announces them (RFC 5804 section 1.7) and require accepts them.
var Extensions = []string{"fileinto", "reject", "ereject", "envelope", "encoded-character",
	"imap4flags", "copy", "mailbox", "vacation", "variables", "relational", "date", "index", "body",
	"comparator-i;ascii-numeric"}

var comparators = map[string]string{"i;octet": "", "i;ascii-casemap": "", "i;ascii-numeric": "comparator-i;ascii-numeric"}

var relations = map[string]bool{"gt": true, "ge": true, "lt": true, "le": true, "eq": true, "ne": true}

// checked is a command after validation: tags with their parameters apart from
// the positional arguments.
type checked struct {
	tags map[string]argument // parameter, if any, in the argument
	pos  []argument
}

type checker struct {
	requires map[string]bool
}

func (ck *checker) commands(cmds []*command, top bool) error {
	prev := ""
	seenOther := false
	for _, c := range cmds {
		sp, ok := commands[c.name]
		if !ok {
			if _, isTest := tests[c.name]; isTest {
				return c.at.errorf("%s is a test, not a command", c.name)
			}
			return c.at.errorf("unknown command %s", c.name)
		}
		switch c.name {
		case "require":
			// RFC 5228 section 3.2: require only at the start of the script.
			if !top || seenOther {
				return c.at.errorf("require must come before any other command")
			}
		case "elsif", "else":
			if prev != "if" && prev != "elsif" {
				return c.at.errorf("%s without if", c.name)
			}
		}
		if c.name != "require" {
			seenOther = true
		}
		if err := ck.command(c, sp); err != nil {
			return err
		}
		if c.name == "require" {
			for _, ext := range c.args[0].strs {
				if !known(ext) {
					return c.args[0].at.errorf("unsupported extension %q", ext)
				}
				ck.requires[ext] = true
			}
		}
		if sp.block != c.hasBlock {
			if sp.block {
				return c.at.errorf("%s needs a block", c.name)
			}
			return c.at.errorf("%s takes no block", c.name)
		}
		if err := ck.commands(c.block, false); err != nil {
			return err
		}
		prev = c.name
	}
	return nil
}

func known(ext string) bool {
	for _, e := range Extensions {
		if e == ext {
			return true
		}
	}
	return false
}

// command checks one command or test against its spec and splits its arguments.
func (ck *checker) command(c *command, sp spec) error {
	if sp.ext != "" && !ck.requires[sp.ext] {
		return c.at.errorf("%s needs require %q", c.name, sp.ext)
	}
	ch := checked{tags: map[string]argument{}}
	groups := map[string]string{}
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		if !a.isTagged {
			ch.pos = append(ch.pos, a)
			continue
		}
		if len(ch.pos) > 0 {
			return a.at.errorf("tag :%s after positional arguments", a.tag)
		}
		ts, ok := sp.tags[a.tag]
		if !ok {
			return a.at.errorf("%s has no tag :%s", c.name, a.tag)
		}
		if ts.ext != "" && !ck.requires[ts.ext] {
			return a.at.errorf(":%s needs require %q", a.tag, ts.ext)
		}
		if _, dup := ch.tags[a.tag]; dup {
			return a.at.errorf("tag :%s given twice", a.tag)
		}
		if ts.group != "" {
			if other, ok := groups[ts.group]; ok {
				return a.at.errorf("tags :%s and :%s exclude each other", other, a.tag)
			}
			groups[ts.group] = a.tag
		}
		if ts.param != argNone {
			if i+1 >= len(c.args) || c.args[i+1].isTagged || !fits(c.args[i+1], ts.param) {
				return a.at.errorf(":%s needs %s", a.tag, typeName(ts.param))
			}
			i++
			p := c.args[i]
			p.tag = a.tag
			ch.tags[a.tag] = p
		} else {
			ch.tags[a.tag] = a
		}
	}
	if sp.needTag != "" && groups[sp.needTag] == "" {
		return c.at.errorf("%s needs :over or :under", c.name)
	}
	min := len(sp.pos)
	if sp.minPos > 0 {
		min = sp.minPos
	}
	if len(ch.pos) < min || len(ch.pos) > len(sp.pos) {
		return c.at.errorf("%s takes %d arguments, not %d", c.name, len(sp.pos), len(ch.pos))
	}
	// With fewer arguments than the spec, the optional ones are the leading ones
	// (setflag's variable name, hasflag's variable list).
	skip := len(sp.pos) - len(ch.pos)
	for i, a := range ch.pos {
		if !fits(a, sp.pos[i+skip]) {
			return a.at.errorf("argument %d of %s must be %s", i+1, c.name, typeName(sp.pos[i+skip]))
		}
	}
	if err := ck.values(c, ch); err != nil {
		return err
	}
	switch {
	case sp.tests == 0 && len(c.tests) > 0:
		return c.tests[0].at.errorf("%s takes no test", c.name)
	case sp.tests == 1 && len(c.tests) != 1:
		return c.at.errorf("%s takes one test", c.name)
	case sp.tests == 2 && len(c.tests) == 0:
		return c.at.errorf("%s takes a list of tests", c.name)
	}
	for _, t := range c.tests {
		tsp, ok := tests[t.name]
		if !ok {
			if _, isCmd := commands[t.name]; isCmd {
				return t.at.errorf("%s is a command, not a test", t.name)
			}
			return t.at.errorf("unknown test %s", t.name)
		}
		if t.hasBlock {
			return t.at.errorf("a test takes no block")
		}
		if err := ck.command(t, tsp); err != nil {
			return err
		}
	}
	c.checked = ch
	return nil
}

// values checks the values the grammar cannot: comparator and relation names,
// variable names, and decodes encoded characters.
func (ck *checker) values(c *command, ch checked) error {
	if a, ok := ch.tags["comparator"]; ok {
		ext, ok := comparators[strings.ToLower(a.strs[0])]
		if !ok {
			return a.at.errorf("unknown comparator %q", a.strs[0])
		}
		if ext != "" && !ck.requires[ext] {
			return a.at.errorf("comparator %q needs require %q", a.strs[0], ext)
		}
	}
	for _, rel := range []string{"count", "value"} {
		if a, ok := ch.tags[rel]; ok && !relations[strings.ToLower(a.strs[0])] {
			return a.at.errorf("unknown relation %q", a.strs[0])
		}
	}
	if _, last := ch.tags["last"]; last {
		if _, idx := ch.tags["index"]; !idx {
			return c.at.errorf(":last needs :index") // RFC 5260 section 6
		}
	}
	if a, ok := ch.tags["index"]; ok && a.num < 1 {
		return a.at.errorf(":index counts from 1")
	}
	if c.name == "set" && !validVariableName(ch.pos[0].strs[0]) {
		return ch.pos[0].at.errorf("invalid variable name %q", ch.pos[0].strs[0])
	}
	if ck.requires["encoded-character"] {
		for _, a := range append(ch.pos, mapValues(ch.tags)...) {
			for i, s := range a.strs {
				d, err := decodeEncoded(s)
				if err != nil {
					return a.at.errorf("%v", err)
				}
				a.strs[i] = d
			}
		}
	}
	return nil
}

func mapValues(m map[string]argument) []argument {
	out := make([]argument, 0, len(m))
	for _, a := range m {
		out = append(out, a)
	}
	return out
}

func fits(a argument, t argType) bool {
	switch t {
	case argNumber:
		return a.isNum
	case argString:
		return !a.isNum && !a.isTagged && len(a.strs) == 1 && !a.isList
	case argStrings:
		return !a.isNum && !a.isTagged && len(a.strs) > 0
	}
	return false
}

func typeName(t argType) string {
	switch t {
	case argNumber:
		return "a number"
	case argString:
		return "a string"
	case argStrings:
		return "a string list"
	}
	return "nothing"
}
