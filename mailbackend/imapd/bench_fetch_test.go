package imapd

import "testing"

// BenchmarkFetchHeaderFields is what a client listing a mailbox sends (and what
// imaptest's mix sends most): FETCH of flags and a few header fields of 200
// messages. Run with -benchmem: each filtered header section was read and filtered
// twice (once to size the literal) with a fresh 32 KiB copy buffer and 4 KiB line
// reader each time; now the sizing pass keeps the bytes and the buffers are reused.
func BenchmarkFetchHeaderFields(b *testing.B) {
	e := newEnv(b)
	e.fill(200)
	r := e.raw(true)
	r.ok("SELECT INBOX")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.ok("FETCH 1:200 (UID FLAGS BODY.PEEK[HEADER.FIELDS (From To Subject Date Message-ID)])")
	}
}
