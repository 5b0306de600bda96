package imapd

import (
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
)

func init() {
	register("SEARCH", stateSelected, cmdSearch).noExpunge = true
	register("UID SEARCH", stateSelected, cmdSearch)
}

// searchKey is a parsed search program: the keys of one conjunction. Simple keys
// live in the embedded imap.SearchCriteria (whose own Not and Or stay unused);
// NOT, OR and extension keys in the fields below.
type searchKey struct {
	imap.SearchCriteria
	not []*searchKey
	or  [][2]*searchKey
	ext []searchPredicate

	all                   bool // ALL was given (the key is not empty)
	hasLarger, hasSmaller bool // LARGER 0 and SMALLER n are keys too
}

// searchPredicate is an extension's search key (MODSEQ, SAVEDATEBEFORE...):
// match reports whether the message at view index i matches. needMeta asks for
// the messages' flags, dates and sizes (m is then non-nil).
type searchPredicate struct {
	needMeta bool
	match    func(s *searcher, i int, uid uint32, m *msgMeta) bool
	// modseq: the result reports the highest MODSEQ of what it returns (RFC 7162
	// section 3.1.5).
	modseq bool
}

// searchKeys are search keys an extension adds, by upper-case name: each reads
// its arguments (after the name) and adds to k.
var searchKeys = map[string]func(c *cmd, k *searchKey) error{}

// searchReturn are SEARCH's RETURN options (RFC 4731 ESEARCH, RFC 5182 SAVE).
type searchReturn struct {
	min, max, all, count, save bool
	esearch                    bool // answer with ESEARCH (RETURN given, or IMAP4rev2)
	// modseq, when not 0, is the MODSEQ the result reports (RFC 7162 section 3.1.5)
	modseq uint64
	// partial is the window of the result RETURN (PARTIAL ...) asks for (RFC 9394;
	// ext_partial.go), nil if none.
	partial *partialRange
	// update keeps the result current (RFC 5267 section 4.3; ext_context.go).
	update bool
}

// searchReturnOptions are RETURN options an extension adds (PARTIAL), by
// upper-case name: each reads its arguments (after the name) into ret.
var searchReturnOptions = map[string]func(c *cmd, ret *searchReturn) error{}

// returnsResult reports whether a RETURN option asks for part of the result
// (RETURN () or SAVE alone mean otherwise).
func (ret *searchReturn) returnsResult() bool {
	return ret.min || ret.max || ret.all || ret.count || ret.partial != nil
}

// impliesAll reports whether the options leave the result unasked for, so that
// ALL is meant (RFC 4731 section 3.1: RETURN () is ALL). SAVE and UPDATE alone
// ask for no result now (RFC 5182 section 2.1, RFC 5267 section 4.3).
func (ret *searchReturn) impliesAll() bool {
	return !ret.returnsResult() && !ret.save && !ret.update
}

// maxSearchParens bounds the nesting of parenthesized search keys: NOT and OR
// chains are bounded by the line length alone.
const maxSearchParens = 100

func cmdSearch(c *cmd) error {
	if err := c.sp(); err != nil {
		return err
	}
	var ret searchReturn
	charset := ""
	for {
		p, err := c.r.Peek()
		if err != nil {
			return err
		}
		if p != 'R' && p != 'r' && p != 'C' && p != 'c' {
			break
		}
		// RETURN and CHARSET come first; anything else starting with these
		// letters is a search key, read below.
		word, err := c.r.Chars(isFetchNameChar, "search key")
		if err != nil {
			return err
		}
		switch strings.ToUpper(word) {
		case "RETURN":
			if err := c.sp(); err != nil {
				return err
			}
			ret.esearch = true
			err := c.r.List(true, func() error {
				o, err := c.atomUpper()
				switch o {
				case "MIN":
					ret.min = true
				case "MAX":
					ret.max = true
				case "ALL":
					ret.all = true
				case "COUNT":
					ret.count = true
				case "SAVE":
					ret.save = true
				default:
					if ext := searchReturnOptions[o]; ext != nil && err == nil {
						return ext(c, &ret)
					}
					if err == nil {
						err = badf("Unknown SEARCH return option " + o)
					}
				}
				return err
			})
			if err != nil {
				return err
			}
			if ret.impliesAll() {
				ret.all = true // RFC 4731 section 3.1: RETURN () means ALL
			}
			if ret.all && ret.partial != nil {
				return badf("PARTIAL and ALL cannot be combined") // RFC 9394 section 3.1
			}
		case "CHARSET":
			if err := c.sp(); err != nil {
				return err
			}
			if charset, err = c.r.AString(1024); err != nil {
				return err
			}
		default:
			key := &searchKey{}
			if err := c.searchWord(key, strings.ToUpper(word), 0); err != nil {
				return err
			}
			return c.searchRest(key, ret, charset)
		}
		if err := c.sp(); err != nil {
			return err
		}
	}
	return c.searchRest(&searchKey{}, ret, charset)
}

// searchRest reads the remaining keys and runs the search.
func (c *cmd) searchRest(key *searchKey, ret searchReturn, charset string) error {
	first := key.isEmpty()
	for {
		if !first {
			end, err := c.peekEnd()
			if err != nil {
				return err
			}
			if end {
				break
			}
			if err := c.sp(); err != nil {
				return err
			}
		}
		first = false
		if err := c.searchKey(key, 0); err != nil {
			return err
		}
	}
	if err := c.end(); err != nil {
		return err
	}
	if charset != "" && !strings.EqualFold(charset, "UTF-8") && !strings.EqualFold(charset, "US-ASCII") {
		return noErr("BADCHARSET (UTF-8 US-ASCII)", "Unsupported charset")
	}
	if c.sess.rev2() {
		ret.esearch = true // RFC 9051 section 6.4.4: IMAP4rev2 answers ESEARCH
		if ret.impliesAll() {
			ret.all = true
		}
	}
	return c.sess.search(c, key, ret)
}

func (k *searchKey) isEmpty() bool {
	return k.SeqNum == nil && k.UID == nil && k.Since.IsZero() && k.Before.IsZero() &&
		k.SentSince.IsZero() && k.SentBefore.IsZero() && k.Header == nil && k.Body == nil &&
		k.Text == nil && k.Flag == nil && k.NotFlag == nil && !k.hasLarger && !k.hasSmaller &&
		k.not == nil && k.or == nil && k.ext == nil && !k.all
}

// searchKey reads one search-key (RFC 9051 section 9) into k.
func (c *cmd) searchKey(k *searchKey, parens int) error {
	p, err := c.r.Peek()
	if err != nil {
		return err
	}
	switch {
	case p == '(':
		if parens >= maxSearchParens {
			return noErr(imap.ResponseCodeLimit, "Search keys nested too deeply")
		}
		return c.r.List(false, func() error { return c.searchKey(k, parens+1) })
	case p >= '0' && p <= '9' || p == '*' || p == '$':
		set, err := c.r.SequenceSet()
		if err != nil {
			return err
		}
		if set.SearchRes {
			k.UID = append(k.UID, imap.SearchRes())
		} else {
			k.SeqNum = append(k.SeqNum, toNumSet(set, false).(imap.SeqSet))
		}
		return nil
	}
	word, err := c.r.Chars(isFetchNameChar, "search key")
	if err != nil {
		return err
	}
	return c.searchWord(k, strings.ToUpper(word), parens)
}

func (c *cmd) searchWord(k *searchKey, word string, parens int) error {
	arg := func() (string, error) {
		if err := c.sp(); err != nil {
			return "", err
		}
		return c.r.AString(maxStringLiteral)
	}
	date := func() (time.Time, error) {
		if err := c.sp(); err != nil {
			return time.Time{}, err
		}
		return c.searchDate()
	}
	flag := func(f imap.Flag, not bool) error {
		if not {
			k.NotFlag = append(k.NotFlag, f)
		} else {
			k.Flag = append(k.Flag, f)
		}
		return nil
	}
	header := func(name string) error {
		v, err := arg()
		k.Header = append(k.Header, imap.SearchCriteriaHeaderField{Key: name, Value: v})
		return err
	}
	sub := func() (*searchKey, error) {
		if err := c.sp(); err != nil {
			return nil, err
		}
		s := &searchKey{}
		return s, c.searchKey(s, parens)
	}
	switch word {
	case "ALL":
		k.all = true
		return nil
	case "ANSWERED", "DELETED", "FLAGGED", "SEEN", "DRAFT", "RECENT":
		return flag(imap.Flag(`\`+word[:1]+strings.ToLower(word[1:])), false)
	case "UNANSWERED", "UNDELETED", "UNFLAGGED", "UNSEEN", "UNDRAFT":
		return flag(imap.Flag(`\`+word[2:3]+strings.ToLower(word[3:])), true)
	case "NEW": // RFC 3501: RECENT UNSEEN
		k.Flag = append(k.Flag, `\Recent`)
		k.NotFlag = append(k.NotFlag, imap.FlagSeen)
		return nil
	case "OLD":
		k.NotFlag = append(k.NotFlag, `\Recent`)
		return nil
	case "KEYWORD", "UNKEYWORD":
		if err := c.sp(); err != nil {
			return err
		}
		a, err := c.r.Atom()
		if err != nil {
			return err
		}
		return flag(imap.Flag(a), word == "UNKEYWORD")
	case "BCC", "CC", "FROM", "SUBJECT", "TO":
		return header(strings.ToLower(word))
	case "HEADER":
		if err := c.sp(); err != nil {
			return err
		}
		name, err := c.r.AString(1024)
		if err != nil {
			return err
		}
		return header(name)
	case "BODY", "TEXT":
		v, err := arg()
		if word == "BODY" {
			k.Body = append(k.Body, v)
		} else {
			k.Text = append(k.Text, v)
		}
		return err
	case "BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE":
		d, err := date()
		if err != nil {
			return err
		}
		since, before := &k.Since, &k.Before
		if strings.HasPrefix(word, "SENT") {
			since, before = &k.SentSince, &k.SentBefore
			word = word[4:]
		}
		if word == "SINCE" || word == "ON" {
			if since.IsZero() || d.After(*since) {
				*since = d
			}
		}
		if word == "BEFORE" || word == "ON" {
			if word == "ON" {
				d = d.AddDate(0, 0, 1)
			}
			if before.IsZero() || d.Before(*before) {
				*before = d
			}
		}
		return nil
	case "LARGER", "SMALLER":
		if err := c.sp(); err != nil {
			return err
		}
		n, err := c.r.Number64()
		if err != nil {
			return err
		}
		if word == "LARGER" {
			if !k.hasLarger || n > k.Larger {
				k.Larger = n
			}
			k.hasLarger = true
		} else {
			if !k.hasSmaller || n < k.Smaller {
				k.Smaller = n
			}
			k.hasSmaller = true
		}
		return nil
	case "UID":
		if err := c.sp(); err != nil {
			return err
		}
		set, err := c.r.SequenceSet()
		if err != nil {
			return err
		}
		k.UID = append(k.UID, toNumSet(set, true).(imap.UIDSet))
		return nil
	case "NOT":
		s, err := sub()
		if err == nil {
			k.not = append(k.not, s)
		}
		return err
	case "OR":
		a, err := sub()
		if err != nil {
			return err
		}
		b, err := sub()
		if err != nil {
			return err
		}
		k.or = append(k.or, [2]*searchKey{a, b})
		return nil
	}
	if ext := searchKeys[word]; ext != nil {
		return ext(c, k)
	}
	return badf("Unknown search key " + word)
}

// searchDate reads date (RFC 9051 section 9): date-text, quoted or not.
func (c *cmd) searchDate() (time.Time, error) {
	p, err := c.r.Peek()
	if err != nil {
		return time.Time{}, err
	}
	var s string
	if p == '"' {
		s, err = c.r.Quoted()
	} else {
		s, err = c.r.Atom()
	}
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse("2-Jan-2006", s)
	if err != nil {
		return time.Time{}, badf("Invalid date " + s)
	}
	return t, nil
}
