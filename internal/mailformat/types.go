package mailformat

import "time"

// Envelope is the IMAP ENVELOPE of a message (RFC 9051 section 7.5.2). String fields
// hold the header values as they appear in the message (unfolded, RFC 2047 encoded
// words left intact), because IMAP servers return them raw; Decoded* helpers exist for
// callers that need text.
type Envelope struct {
	Date      time.Time `json:"date,omitzero"` // zero when missing or unparseable
	RawDate   string    `json:"rawDate,omitempty"`
	Subject   string    `json:"subject,omitempty"`
	From      []Address `json:"from,omitempty"`
	Sender    []Address `json:"sender,omitempty"`  // defaults to From when absent
	ReplyTo   []Address `json:"replyTo,omitempty"` // defaults to From when absent
	To        []Address `json:"to,omitempty"`
	Cc        []Address `json:"cc,omitempty"`
	Bcc       []Address `json:"bcc,omitempty"`
	InReplyTo string    `json:"inReplyTo,omitempty"` // raw header value
	MessageID string    `json:"messageID,omitempty"` // raw header value
}

// Address is one IMAP address: Name is the raw display name (encoded words intact),
// Mailbox and Host the local part and domain. A group start has Host "" and Mailbox
// the group name; a group end has both empty (RFC 9051 section 7.5.2).
type Address struct {
	Name    string `json:"name,omitempty"`
	Mailbox string `json:"mailbox,omitempty"`
	Host    string `json:"host,omitempty"`
	// Route is the obsolete source route ("@a,@b" from "<@a,@b:user@host>"), the IMAP
	// address "adl" field; Dovecot reports it and imaptest checks it.
	Route string `json:"route,omitempty"`
}

// Param is one Content-Type or Content-Disposition parameter, in header order, value
// decoded (RFC 2231 continuations joined).
type Param struct {
	Name  string `json:"n"`
	Value string `json:"v"`
}

// Part is one node of the IMAP BODYSTRUCTURE with the byte offsets of its header and
// body inside the message, so BODY[1.2], BODY[1.2.MIME] and BINARY[2] can be served
// by seeking into the blob.
type Part struct {
	Type        string  `json:"type"`    // lower case: "text", "multipart", "message", …
	Subtype     string  `json:"subtype"` // lower case: "plain", "mixed", "rfc822", …
	Params      []Param `json:"params,omitempty"`
	ID          string  `json:"id,omitempty"`
	Description string  `json:"desc,omitempty"`
	Encoding    string  `json:"enc,omitempty"` // Content-Transfer-Encoding as written; "" means 7BIT
	Size        int64   `json:"size"`          // octets of the body (after the blank line)
	Lines       int64   `json:"lines"`         // body lines, for text/* and message/rfc822
	MD5         string  `json:"md5,omitempty"`

	Disposition       string   `json:"disp,omitempty"`
	DispositionParams []Param  `json:"dispParams,omitempty"`
	Language          []string `json:"lang,omitempty"`
	Location          string   `json:"loc,omitempty"`

	Parts []*Part `json:"parts,omitempty"` // children of a multipart

	// For message/rfc822 (and message/global): the enclosed message.
	Envelope *Envelope `json:"env,omitempty"`
	Message  *Part     `json:"msg,omitempty"`

	// Offsets in the whole message: the part's header starts at HeaderStart, its body at
	// BodyStart and ends at End (exclusive). For the top-level part HeaderStart is 0.
	HeaderStart int64 `json:"hs"`
	BodyStart   int64 `json:"bs"`
	End         int64 `json:"end"`
}

// Parsed is everything the store keeps about a message besides its bytes.
type Parsed struct {
	Envelope  *Envelope
	Structure *Part
	// HasAttachments is true when some part is an attachment (disposition attachment,
	// or a non-text leaf with a file name) — the list view's paper-clip.
	HasAttachments bool
	// Text is what the full-text index holds, decoded to UTF-8.
	Text SearchText
}

// SearchText is the decoded, UTF-8 text of a message, one field per IMAP SEARCH key
// that the full-text index serves.
type SearchText struct {
	Subject string // decoded Subject
	From    string // decoded display names and addresses
	To      string
	Cc      string
	Bcc     string
	Body    string // decoded text/* parts (HTML stripped to text), capped in size
}
