package mailview

import (
	"net/url"
	"strings"

	"github.com/gorilla/css/scanner"
)

// The mail's own <style> rules are what make a newsletter look as its sender meant
// (buttons, backgrounds, columns), so they are kept — through an allow-list, not a
// deny-list. gorilla/css's scanner (CSS 2.1 / CSS3 syntax tokens) splits the sheet;
// this file decides, token by token, what is re-emitted:
//   - at-rules: only @media, with its block sanitized in turn; @import, @font-face,
//     @keyframes, @namespace, @charset, @supports, @page and every unknown one are
//     dropped with their block;
//   - selectors: only identifiers, classes, ids, the combinators and attribute and
//     pseudo-class syntax; no escapes;
//   - declarations: only the properties of cssProperties; position only static or
//     relative (never fixed, absolute or sticky: no overlay can cover the reading
//     pane's own controls or pretend to be them); only the functions of
//     cssFunctions (no expression(), image-set(), attr(), var(), element(), -webkit-
//     anything); url() only in background and background-image, and only for a
//     raster data: image, a cid: part (rewritten) or, when remote images are allowed,
//     an http(s) image (rewritten by the caller: the image proxy);
//   - nothing with a backslash escape, a vendor prefix, "<" or a comment survives,
//     so what the browser parses is what was checked, and the sheet cannot end its
//     <style> element.
//
// The sheet lands in the mail's own document inside the sandboxed frame, so every
// rule is scoped to the frame by construction.

// maxStyleBytes bounds the CSS read from one message; maxRules the rules kept.
const (
	maxStyleBytes = 128 << 10
	maxRules      = 4000
	maxMediaDepth = 4
)

// cssProperties are the properties a mail's stylesheet may set.
var cssProperties = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range allowedStyles {
		m[p] = true
	}
	for _, p := range []string{
		"background-image", "background-repeat", "background-position", "background-size",
		"position", "top", "right", "bottom", "left", "float", "clear", "overflow", "overflow-x", "overflow-y",
		"text-overflow", "box-sizing", "opacity", "visibility", "box-shadow", "text-shadow", "outline",
		"cursor", "font-stretch", "text-decoration-color", "text-decoration-line", "text-decoration-style",
		"border-top-left-radius", "border-top-right-radius", "border-bottom-left-radius", "border-bottom-right-radius",
		"mso-line-height-rule", "mso-table-lspace", "mso-table-rspace", "caption-side", "empty-cells",
		"flex", "flex-direction", "flex-wrap", "justify-content", "align-items", "align-self", "gap", "order",
	} {
		m[p] = true
	}
	return m
}()

// cssFunctions are the functions a value may call.
var cssFunctions = map[string]bool{
	"rgb(": true, "rgba(": true, "hsl(": true, "hsla(": true, "calc(": true,
	"linear-gradient(": true, "radial-gradient(": true,
}

// urlProperties may hold url().
var urlProperties = map[string]bool{"background": true, "background-image": true}

// styleSheet sanitizes the CSS text of the mail's <style> elements for the frame.
type styleSheet struct {
	toks        []*scanner.Token
	i           int
	allowRemote bool
	cidURL      func(string) string
	remoteURL   func(string) string // rewrites an allowed remote image URL; nil keeps it
	blocked     bool                // a remote url() was dropped
	rules       int
}

// sanitizeCSS returns the kept rules of css, re-serialised.
func sanitizeCSS(css string, allowRemote bool, cidURL, remoteURL func(string) string) (out string, blocked bool) {
	if len(css) > maxStyleBytes {
		css = css[:maxStyleBytes]
	}
	sc := scanner.New(css)
	ss := &styleSheet{allowRemote: allowRemote, cidURL: cidURL, remoteURL: remoteURL}
	for {
		t := sc.Next()
		if t.Type == scanner.TokenEOF || t.Type == scanner.TokenError {
			break
		}
		switch t.Type {
		case scanner.TokenComment, scanner.TokenCDO, scanner.TokenCDC, scanner.TokenBOM:
			continue
		}
		ss.toks = append(ss.toks, t)
	}
	var b strings.Builder
	ss.rulesUntil(&b, 0)
	out = b.String()
	if strings.Contains(out, "<") { // cannot happen (strings and chars with "<" are refused); never risk it
		return "", ss.blocked
	}
	return out, ss.blocked
}

func (ss *styleSheet) peek() *scanner.Token {
	if ss.i < len(ss.toks) {
		return ss.toks[ss.i]
	}
	return nil
}

func isChar(t *scanner.Token, c string) bool {
	return t != nil && t.Type == scanner.TokenChar && t.Value == c
}

// rulesUntil emits rules up to the "}" that closes the current block (depth > 0) or
// the end of the sheet.
func (ss *styleSheet) rulesUntil(b *strings.Builder, depth int) {
	for t := ss.peek(); t != nil; t = ss.peek() {
		switch {
		case isChar(t, "}"):
			if depth > 0 {
				ss.i++
				return
			}
			ss.i++ // a stray "}" at the top level: skip it
		case t.Type == scanner.TokenS || isChar(t, ";"):
			ss.i++
		case t.Type == scanner.TokenAtKeyword:
			ss.atRule(b, depth)
		default:
			ss.qualifiedRule(b)
		}
	}
}

// atRule keeps @media (its prelude checked, its rules sanitized) and drops the rest.
func (ss *styleSheet) atRule(b *strings.Builder, depth int) {
	name := strings.ToLower(ss.peek().Value)
	ss.i++
	start := ss.i
	for t := ss.peek(); t != nil && !isChar(t, "{") && !isChar(t, ";"); t = ss.peek() {
		ss.i++
	}
	prelude := ss.toks[start:ss.i]
	t := ss.peek()
	if t == nil || isChar(t, ";") {
		ss.i++ // @import url(...); @charset "x"; — gone
		return
	}
	ss.i++ // "{"
	if name != "@media" || depth >= maxMediaDepth || !safeMediaQuery(prelude) {
		ss.skipBlock()
		return
	}
	var inner strings.Builder
	ss.rulesUntil(&inner, depth+1)
	if inner.Len() > 0 {
		b.WriteString("@media ")
		b.WriteString(strings.TrimSpace(join(prelude)))
		b.WriteString("{")
		b.WriteString(inner.String())
		b.WriteString("}")
	}
}

// safeMediaQuery accepts "screen and (max-width: 600px)" and the like.
func safeMediaQuery(toks []*scanner.Token) bool {
	for _, t := range toks {
		switch t.Type {
		case scanner.TokenIdent, scanner.TokenS, scanner.TokenNumber, scanner.TokenDimension:
		case scanner.TokenChar:
			if !strings.Contains("(),:", t.Value) {
				return false
			}
		default:
			return false
		}
		if !cleanToken(t.Value) {
			return false
		}
	}
	return true
}

// skipBlock skips to the "}" matching an already consumed "{".
func (ss *styleSheet) skipBlock() {
	for depth := 1; ss.i < len(ss.toks) && depth > 0; ss.i++ {
		switch {
		case isChar(ss.toks[ss.i], "{"):
			depth++
		case isChar(ss.toks[ss.i], "}"):
			depth--
		}
	}
}

// qualifiedRule emits "selector{declarations}" when the selector is safe and at
// least one declaration is.
func (ss *styleSheet) qualifiedRule(b *strings.Builder) {
	start := ss.i
	for t := ss.peek(); t != nil && !isChar(t, "{") && !isChar(t, "}"); t = ss.peek() {
		ss.i++
	}
	selector := ss.toks[start:ss.i]
	if t := ss.peek(); t == nil || isChar(t, "}") {
		return // a selector without a block: nothing to keep
	}
	ss.i++ // "{"
	bodyStart := ss.i
	ss.skipBlock()
	body := ss.toks[bodyStart:max(bodyStart, ss.i-1)]
	if ss.rules >= maxRules || !safeSelector(selector) {
		return
	}
	decls := ss.declarations(body)
	if decls == "" {
		return
	}
	ss.rules++
	b.WriteString(strings.TrimSpace(join(selector)))
	b.WriteString("{")
	b.WriteString(decls)
	b.WriteString("}")
}

// safeSelector accepts type, class, id, attribute and pseudo-class selectors and
// the combinators.
func safeSelector(toks []*scanner.Token) bool {
	if len(toks) == 0 {
		return false
	}
	for _, t := range toks {
		switch t.Type {
		case scanner.TokenIdent, scanner.TokenHash, scanner.TokenS, scanner.TokenNumber, scanner.TokenDimension,
			scanner.TokenIncludes, scanner.TokenDashMatch, scanner.TokenPrefixMatch, scanner.TokenSuffixMatch, scanner.TokenSubstringMatch:
		case scanner.TokenString:
		case scanner.TokenFunction:
			switch strings.ToLower(t.Value) {
			case "not(", "nth-child(", "nth-of-type(", "nth-last-child(", "is(", "where(":
			default:
				return false
			}
		case scanner.TokenChar:
			if !strings.Contains(".,>+~*:[]=()-", t.Value) {
				return false
			}
			continue // one character of the list: ">" is the child combinator here
		default:
			return false
		}
		if !cleanToken(t.Value) {
			return false
		}
	}
	return true
}

// cleanToken refuses escapes (which could spell a forbidden name the checks would
// not see), markup and vendor prefixes.
func cleanToken(v string) bool {
	l := strings.ToLower(v)
	if strings.ContainsAny(l, "\\<>\x00") || strings.Contains(l, "expression") || strings.Contains(l, "javascript:") {
		return false
	}
	for _, p := range []string{"-webkit-", "-moz-", "-ms-", "-o-", "-epub-"} {
		if strings.Contains(l, p) {
			return false
		}
	}
	return true
}

// declarations sanitizes the inside of a rule's block: "prop: value; …".
func (ss *styleSheet) declarations(body []*scanner.Token) string {
	var b strings.Builder
	for len(body) > 0 {
		end := 0
		for end < len(body) && !isChar(body[end], ";") {
			end++
		}
		if d := ss.declaration(body[:end]); d != "" {
			b.WriteString(d)
			b.WriteString(";")
		}
		body = body[min(len(body), end+1):]
	}
	return b.String()
}

// declaration returns one sanitized "prop:value", or "" to drop it.
func (ss *styleSheet) declaration(toks []*scanner.Token) string {
	for len(toks) > 0 && toks[0].Type == scanner.TokenS {
		toks = toks[1:]
	}
	if len(toks) < 3 || toks[0].Type != scanner.TokenIdent {
		return ""
	}
	prop := strings.ToLower(toks[0].Value)
	rest := toks[1:]
	for len(rest) > 0 && rest[0].Type == scanner.TokenS {
		rest = rest[1:]
	}
	if !cssProperties[prop] || len(rest) == 0 || !isChar(rest[0], ":") {
		return ""
	}
	var v strings.Builder
	for _, t := range rest[1:] {
		if !cleanToken(t.Value) {
			return ""
		}
		switch t.Type {
		case scanner.TokenURI:
			if !urlProperties[prop] {
				return ""
			}
			u, ok := ss.cssURL(t.Value)
			if !ok {
				return ""
			}
			v.WriteString(`url("` + u + `")`)
			continue
		case scanner.TokenFunction:
			if !cssFunctions[strings.ToLower(t.Value)] {
				return ""
			}
		case scanner.TokenString:
			if strings.ContainsAny(t.Value, "\n\r\f") {
				return ""
			}
		case scanner.TokenChar:
			if !strings.Contains(",/()%!.#+-*:", t.Value) {
				return ""
			}
		case scanner.TokenIdent, scanner.TokenS, scanner.TokenNumber, scanner.TokenPercentage,
			scanner.TokenDimension, scanner.TokenHash:
		default:
			return ""
		}
		v.WriteString(t.Value)
	}
	value := strings.TrimSpace(v.String())
	if value == "" || len(value) > 2000 {
		return ""
	}
	if prop == "position" {
		switch strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(strings.ToLower(value)), "!important"))) {
		case "static", "relative":
		default:
			return ""
		}
	}
	return prop + ":" + value
}

// cssURL decides a url() token: a raster data: image stays, cid: becomes the
// caller's URL for that part, http(s) only when remote images are allowed (through
// remoteURL). The result is safe inside url("…").
func (ss *styleSheet) cssURL(tok string) (string, bool) {
	raw := strings.TrimSpace(tok[len("url(") : len(tok)-1])
	if len(raw) >= 2 && (raw[0] == '"' || raw[0] == '\'') && raw[len(raw)-1] == raw[0] {
		raw = raw[1 : len(raw)-1]
	}
	raw = strings.TrimSpace(raw)
	l := strings.ToLower(raw)
	var out string
	switch {
	case strings.HasPrefix(l, "data:"):
		if !dataImageRe.MatchString(raw) {
			return "", false
		}
		out = raw
	case strings.HasPrefix(l, "cid:"):
		cid := strings.Trim(raw[4:], "<> ")
		if ss.cidURL == nil || cid == "" {
			return "", false
		}
		if out = ss.cidURL(cid); out == "" {
			return "", false
		}
	case strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://"):
		if !ss.allowRemote {
			ss.blocked = true
			return "", false
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return "", false
		}
		out = u.String()
		if ss.remoteURL != nil {
			if out = ss.remoteURL(out); out == "" {
				return "", false
			}
		}
	default:
		return "", false
	}
	if strings.ContainsAny(out, "\"\\\n\r\f<>") {
		return "", false
	}
	return out, true
}

func join(toks []*scanner.Token) string {
	var b strings.Builder
	for _, t := range toks {
		if t.Type == scanner.TokenS {
			b.WriteByte(' ')
			continue
		}
		b.WriteString(t.Value)
	}
	return b.String()
}
