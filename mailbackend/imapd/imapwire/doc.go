// Package imapwire is the lexical layer of yubin's IMAP server: it reads the
// tokens of client commands (RFC 9051 section 9) straight off the connection and
// writes the atoms, strings, literals and numbers of responses.
//
// It owns: the grammar of tags, atoms, astrings, quoted strings (RFC 9051 section
// 4.3), literals {n} with the continuation request the client waits for, the
// non-synchronizing literals {n+} and {n-} of LITERAL+ / LITERAL- (RFC 7888),
// literal8 ~{n} (RFC 3516), sequence sets with "*" and "$" (RFC 5182),
// parenthesized lists, modified UTF-7 mailbox names (RFC 3501 section 5.1.3), the
// bounds on a command (MaxLine for its text outside literals, a maximum per
// literal chosen by the caller), and recovery after a rejected command
// (SkipCommand), which reads the data of any non-synchronizing literal the
// command announced as data, never as commands ("literal smuggling").
//
// The command grammar (which tokens FETCH or SEARCH takes) is the server's,
// in mailbackend/imapd; this package only knows the tokens.
//
// It must never: hold a command whole in memory (tokens are read one at a time,
// large literals are streamed with LiteralStream), ask for a literal larger than
// its caller allows (TooBigError instead of "+"), send 8-bit text in a quoted
// string unless the client allowed UTF-8, or write to the connection except at
// Flush, when the buffer passes FlushAt, or through Continue.
package imapwire
