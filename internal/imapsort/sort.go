package imapsort

import (
	"cmp"
	"slices"
	"time"

	"github.com/yubinmail/yubin/internal/mailformat"
)

// Message is what sorting and threading read of one message.
type Message struct {
	// ID names the message in results: a sequence number or a UID. IDs ascend in
	// mailbox order, which breaks every tie (RFC 5256 section 3).
	ID           uint32
	InternalDate time.Time // ARRIVAL
	// Date is the Date header's time, zero when missing or unparseable; the sent date
	// is then the internal date (RFC 5256 section 2.2).
	Date    time.Time
	Size    int64
	Subject string // as written: RFC 2047 words intact or decoded, both work
	// From, To and Cc are the first address of each field (FirstAddress), zero when
	// the field is empty.
	From, To, Cc Address
	// MessageID and References are msg-ids without angle brackets; References as
	// RFC 5256 step 1.A takes them: the References field, or when it has no id the
	// first id of In-Reply-To.
	MessageID  string
	References []string
	// SubjectKnown says BaseKey and ReplyOrForward hold SubjectKeyOf(Subject),
	// worked out ahead (a caller keeping a mailbox's threading input between
	// commands); threading then does not read Subject.
	SubjectKnown   bool
	BaseKey        string
	ReplyOrForward bool
}

// Address is one address of a message: Name the display name (RFC 2047 words
// intact or decoded), Mailbox and Host the two halves of the addr-spec.
type Address struct {
	Name, Mailbox, Host string
}

// FirstAddress returns the first real address of a list, skipping the start and
// end markers of groups (a group start has no host, a group end neither mailbox
// nor host), or the zero Address.
func FirstAddress(list []Address) Address {
	for _, a := range list {
		if a.Host != "" {
			return a
		}
	}
	return Address{}
}

// SortAddress is the address SORT orders by (RFC 5256 section 3: "the first
// address"): the first entry of the list as ENVELOPE shows it, so a group's start
// marker, whose Mailbox is the group's name, counts as that address (as Dovecot
// sorts "To: team: a@x, b@y;" under "team").
func SortAddress(list []mailformat.Address) Address {
	if len(list) == 0 {
		return Address{}
	}
	a := list[0]
	return Address{Name: a.Name, Mailbox: a.Mailbox, Host: a.Host}
}

// FromEnvelope is FirstAddress over mailformat addresses, for callers holding the
// store's envelope.
func FromEnvelope(list []mailformat.Address) Address {
	for _, a := range list {
		if a.Host != "" {
			return Address{Name: a.Name, Mailbox: a.Mailbox, Host: a.Host}
		}
	}
	return Address{}
}

// SentDate is the date SORT DATE and the threads order by: the Date header's, or the
// internal date when there is none (RFC 5256 section 2.2).
func (m *Message) SentDate() time.Time {
	if m.Date.IsZero() {
		return m.InternalDate
	}
	return m.Date
}

// Key is one SORT key (RFC 5256 section 3, RFC 5957).
type Key int

const (
	Arrival     Key = iota // internal date
	Cc                     // mailbox part of the first Cc address
	Date                   // sent date
	From                   // mailbox part of the first From address
	Size                   // RFC822.SIZE
	Subject                // base subject
	To                     // mailbox part of the first To address
	DisplayFrom            // display name of the first From address, else its address (RFC 5957)
	DisplayTo              // the same of the first To address
)

// Criterion is a key and its direction.
type Criterion struct {
	Key     Key
	Reverse bool
}

// sortKeys holds one criterion's key of every message: strings (comparison keys
// of the collation) or numbers (dates as Unix nanoseconds, sizes).
type sortKeys struct {
	reverse bool
	strs    []string
	nums    []int64
}

// Sort returns the IDs of msgs in the order the criteria give, ties in mailbox
// order (ascending ID). Each key is computed once per message.
func Sort(msgs []Message, criteria []Criterion) []uint32 {
	keys := make([]sortKeys, len(criteria))
	for i, c := range criteria {
		keys[i] = computeKeys(msgs, c)
	}
	order := make([]int32, len(msgs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		for _, k := range keys {
			var c int
			if k.strs != nil {
				c = cmp.Compare(k.strs[a], k.strs[b])
			} else {
				c = cmp.Compare(k.nums[a], k.nums[b])
			}
			if k.reverse {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return cmp.Compare(msgs[a].ID, msgs[b].ID)
	})
	out := make([]uint32, len(order))
	for i, o := range order {
		out[i] = msgs[o].ID
	}
	return out
}

func computeKeys(msgs []Message, c Criterion) sortKeys {
	k := sortKeys{reverse: c.Reverse}
	switch c.Key {
	case Arrival, Date, Size:
		k.nums = make([]int64, len(msgs))
		for i := range msgs {
			switch c.Key {
			case Arrival:
				k.nums[i] = unixNano(msgs[i].InternalDate)
			case Date:
				k.nums[i] = unixNano(msgs[i].SentDate())
			case Size:
				k.nums[i] = msgs[i].Size
			}
		}
	default:
		k.strs = make([]string, len(msgs))
		for i := range msgs {
			k.strs[i] = CasemapKey(stringKey(&msgs[i], c.Key))
		}
	}
	return k
}

// unixNano is t as a number that orders like t. Dates beyond about ±270 years of
// 1970 (garbage in a Date header) are clamped to that bound, in the same order as
// each other; ties then go by mailbox order.
func unixNano(t time.Time) int64 {
	const limit = 1 << 33 // seconds; times 1e9 is still inside int64
	switch s := t.Unix(); {
	case s > limit:
		return limit * 1e9
	case s < -limit:
		return -limit * 1e9
	}
	return t.UnixNano()
}

func stringKey(m *Message, k Key) string {
	switch k {
	case Cc:
		return m.Cc.Mailbox
	case From:
		return m.From.Mailbox
	case To:
		return m.To.Mailbox
	case Subject:
		base, _ := BaseSubject(m.Subject)
		return base
	case DisplayFrom:
		return displayValue(m.From)
	case DisplayTo:
		return displayValue(m.To)
	}
	return ""
}

// displayValue is RFC 5957 section 3's sort value of an address: the decoded
// display name when not empty, else mailbox@host, else the mailbox, else "".
func displayValue(a Address) string {
	if a.Name != "" {
		if name := mailformat.DisplayHeader(a.Name); name != "" {
			return name
		}
	}
	switch {
	case a.Mailbox != "" && a.Host != "":
		return a.Mailbox + "@" + a.Host
	default:
		return a.Mailbox
	}
}
