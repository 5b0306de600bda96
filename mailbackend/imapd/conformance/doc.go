// Package conformance holds only tests: the IMAP server of mailbackend/imapd checked
// from outside, over loopback, the way a client sees it.
//
// It owns: the scripted transcripts that cover what each group of Dovecot's imaptest
// suite checks (written here, in our own words: the commands a client sends and the
// responses RFC 9051/3501 and the extension RFCs require), the runner that replays
// them against a real server on a real store, and the concurrency test that checks
// every unilateral response of many sessions sharing one mailbox for consistency the
// way imaptest's stress mode does.
//
// The tests start imapd through its exported API only (imapd.New, Serve), so they hold
// whichever implementation sits behind it to the same standard.
//
// It must never: be imported by non-test code, reach into imapd's internals, or
// assert an implementation detail a conforming server may do differently (the order of
// FETCH items, the text after a status response, extra untagged responses the RFC
// allows).
package conformance
