package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

// Object identifiers (RFC 8474, OBJECTID): opaque, stable ids of 25 characters,
// a letter then 24 lower-case hex digits, within the objectid syntax (1*255 of
// ALPHA, DIGIT, "_", "-").
//
//   - MAILBOXID: random, made when the mailbox is created and stored with it, so
//     RENAME keeps it and a mailbox deleted and created again gets a new one (RFC 8474
//     section 4). Mailboxes from before schema 6 got theirs in the upgrade.
//   - EMAILID: derived from the message's content address, so a message keeps it
//     through COPY and MOVE and in every mailbox it is in (section 5.1), with nothing
//     stored; two deliveries of byte-identical messages share it, which the RFC allows
//     (the content is the same).
//   - THREADID: derived from the thread's first message-id, the first of the
//     message's references (RFC 5256 order: References, else In-Reply-To), or its
//     own Message-ID when it refers to nothing (section 5.2). Replies whose
//     References name the root, as RFC 5322 section 3.6.4 asks of every reply, share
//     the root's THREADID without any lookup; a reply whose References lost the
//     root starts a THREADID of its own. A message with no message-id at all is a
//     thread of its own, named after its EMAILID.

const objectIDHex = 24 // hex digits: 96 bits

func newObjectID(prefix byte) string {
	var b [objectIDHex / 2]byte
	rand.Read(b[:]) // never fails (crypto/rand's contract since Go 1.24)
	return string(prefix) + hex.EncodeToString(b[:])
}

func hashID(prefix byte, s string) string {
	sum := sha256.Sum256([]byte(s))
	return string(prefix) + hex.EncodeToString(sum[:objectIDHex/2])
}

// EmailID is the message's EMAILID (RFC 8474 section 5.1).
func (m *Message) EmailID() string {
	return "M" + m.BlobID[:min(len(m.BlobID), objectIDHex)]
}

// ThreadID is the message's THREADID (RFC 8474 section 5.2). It needs the
// threading headers (FetchOptions.Threading).
func (m *Message) ThreadID() string {
	switch {
	case len(m.References) > 0:
		return hashID('T', m.References[0])
	case m.MessageID != "":
		return hashID('T', m.MessageID)
	}
	return hashID('T', "blob:"+m.BlobID)
}
