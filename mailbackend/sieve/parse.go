package sieve

// Limits on what a script may make us parse and hold. ManageSieve and the store
// refuse larger scripts; nesting is bounded so that neither the recursive parser
// nor the evaluator can exhaust the stack.
const (
	MaxScriptBytes = 256 << 10
	maxDepth       = 32  // blocks and test nesting together
	maxStringList  = 512 // strings in one list
)

// argument is one positional or tagged argument: a tag, a number or a string list
// (a single string is a list of one).
type argument struct {
	at       pos
	tag      string
	isNum    bool
	num      int64
	strs     []string
	isList   bool // written with [ ], so a single string was not meant
	isTagged bool
}

// command is a command or a test as written: name, arguments, tests (for if,
// allof, anyof, not) and a block.
type command struct {
	at       pos
	name     string
	args     []argument
	tests    []*command
	block    []*command
	hasBlock bool
	checked  checked // filled by the checker
}

type parser struct {
	lx   *lexer
	tok  token
	peek bool
}

func (p *parser) next() (token, error) {
	if p.peek {
		p.peek = false
		return p.tok, nil
	}
	t, err := p.lx.next()
	p.tok = t
	return t, err
}

func (p *parser) unread() { p.peek = true }

// parse reads the command list of a whole script (RFC 5228 section 8.2).
func parse(src string) ([]*command, error) {
	if len(src) > MaxScriptBytes {
		return nil, (pos{1, 1}).errorf("script larger than %d bytes", MaxScriptBytes)
	}
	p := &parser{lx: newLexer(src)}
	cmds, err := p.commands(0)
	if err != nil {
		return nil, err
	}
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	if t.kind != tokEOF {
		return nil, t.at.errorf("unexpected %s", describe(t))
	}
	return cmds, nil
}

func describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "end of script"
	case tokIdent:
		return "identifier " + t.text
	case tokTag:
		return "tag :" + t.text
	case tokNumber:
		return "number"
	case tokString:
		return "string"
	}
	return "'" + t.text + "'"
}

func (p *parser) commands(depth int) ([]*command, error) {
	var cmds []*command
	for {
		t, err := p.next()
		if err != nil {
			return nil, err
		}
		if t.kind != tokIdent {
			p.unread()
			return cmds, nil
		}
		c := &command{at: t.at, name: t.text}
		if err := p.arguments(c, depth); err != nil {
			return nil, err
		}
		t, err = p.next()
		if err != nil {
			return nil, err
		}
		switch {
		case t.kind == tokPunct && t.text == ";":
		case t.kind == tokPunct && t.text == "{":
			if depth+1 > maxDepth {
				return nil, t.at.errorf("blocks nested more than %d deep", maxDepth)
			}
			c.hasBlock = true
			if c.block, err = p.commands(depth + 1); err != nil {
				return nil, err
			}
			t, err = p.next()
			if err != nil {
				return nil, err
			}
			if t.kind != tokPunct || t.text != "}" {
				return nil, t.at.errorf("expected '}' but found %s", describe(t))
			}
		default:
			return nil, t.at.errorf("expected ';' or '{' after %s but found %s", c.name, describe(t))
		}
		cmds = append(cmds, c)
	}
}

// arguments reads the arguments of c, then an optional test or test list.
func (p *parser) arguments(c *command, depth int) error {
	for {
		t, err := p.next()
		if err != nil {
			return err
		}
		switch {
		case t.kind == tokTag:
			c.args = append(c.args, argument{at: t.at, tag: t.text, isTagged: true})
		case t.kind == tokNumber:
			c.args = append(c.args, argument{at: t.at, isNum: true, num: t.num})
		case t.kind == tokString:
			c.args = append(c.args, argument{at: t.at, strs: []string{t.text}})
		case t.kind == tokPunct && t.text == "[":
			a, err := p.stringList(t.at)
			if err != nil {
				return err
			}
			c.args = append(c.args, a)
		case t.kind == tokIdent:
			if depth+1 > maxDepth {
				return t.at.errorf("tests nested more than %d deep", maxDepth)
			}
			tc := &command{at: t.at, name: t.text}
			if err := p.arguments(tc, depth+1); err != nil {
				return err
			}
			c.tests = []*command{tc}
			return nil
		case t.kind == tokPunct && t.text == "(":
			if depth+1 > maxDepth {
				return t.at.errorf("tests nested more than %d deep", maxDepth)
			}
			for {
				t, err := p.next()
				if err != nil {
					return err
				}
				if t.kind != tokIdent {
					return t.at.errorf("expected a test but found %s", describe(t))
				}
				tc := &command{at: t.at, name: t.text}
				if err := p.arguments(tc, depth+1); err != nil {
					return err
				}
				c.tests = append(c.tests, tc)
				if t, err = p.next(); err != nil {
					return err
				}
				if t.kind == tokPunct && t.text == ")" {
					return nil
				}
				if t.kind != tokPunct || t.text != "," {
					return t.at.errorf("expected ',' or ')' in test list but found %s", describe(t))
				}
			}
		default:
			p.unread()
			return nil
		}
	}
}

func (p *parser) stringList(at pos) (argument, error) {
	a := argument{at: at, isList: true}
	for {
		t, err := p.next()
		if err != nil {
			return a, err
		}
		if t.kind != tokString {
			return a, t.at.errorf("expected a string in the list but found %s", describe(t))
		}
		if len(a.strs) >= maxStringList {
			return a, t.at.errorf("more than %d strings in one list", maxStringList)
		}
		a.strs = append(a.strs, t.text)
		if t, err = p.next(); err != nil {
			return a, err
		}
		if t.kind == tokPunct && t.text == "]" {
			return a, nil
		}
		if t.kind != tokPunct || t.text != "," {
			return a, t.at.errorf("expected ',' or ']' in string list but found %s", describe(t))
		}
	}
}
