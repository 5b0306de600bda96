package imapd

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"
)

// RFC 8970: FETCH PREVIEW is the start of the message's text, decoded (charset,
// transfer encoding, HTML), white space folded, at most 200 characters; "" for a
// message without text; PREVIEW (LAZY) answers the same once the text is indexed.
func TestPreview(t *testing.T) {
	e := newEnv(t)
	e.deliver(simpleMsg)
	e.deliver("Subject: html\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n" +
		"<html><head><style>p{color:red}</style></head><body><p>Hello <b>world</b>,</p>\n\n<p>second   paragraph</p></body></html>\n")
	e.deliver("Subject: jp\nMIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: base64\n\n" +
		"GyRCJDMkcyRLJEEkTxsoQg==\n") // こんにちは
	e.deliver("Subject: long\n\n" + strings.Repeat("word ", 100))
	e.deliver("Subject: attachment only\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n" +
		"Content-Type: application/pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n--b--\n")
	r := e.raw(true)
	if caps := joined(r.ok("CAPABILITY")); !strings.Contains(caps, " PREVIEW") {
		t.Fatalf("PREVIEW not advertised: %s", caps)
	}
	r.ok("SELECT INBOX")
	for cmd, want := range map[string]string{
		"FETCH 1 (PREVIEW)":                `* 1 FETCH (PREVIEW "Hello Alice, this is a test.")`,
		"FETCH 1 PREVIEW":                  `* 1 FETCH (PREVIEW "Hello Alice, this is a test.")`,
		"FETCH 2 (UID PREVIEW)":            `* 2 FETCH (UID 2 PREVIEW "Hello world, second paragraph")`,
		"FETCH 2 (PREVIEW (LAZY) UID)":     `* 2 FETCH (UID 2 PREVIEW "Hello world, second paragraph")`,
		"FETCH 2 PREVIEW (LAZY)":           `* 2 FETCH (PREVIEW "Hello world, second paragraph")`,
		"FETCH 5 (PREVIEW PREVIEW (LAZY))": `* 5 FETCH (PREVIEW "")`,
		"FETCH 3 (PREVIEW)":                "* 3 FETCH (PREVIEW {15}", // 8-bit text is a literal before UTF8=ACCEPT
	} {
		if got := r.ok(cmd); got[0] != want {
			t.Errorf("%s: %q, want %q", cmd, got[0], want)
		}
	}
	// A lone PREVIEW followed by FETCH modifiers: the list is not PREVIEW's.
	if got := joined(r.ok("FETCH 1 PREVIEW (CHANGEDSINCE 1)")); !strings.Contains(got, "* 1 FETCH (") ||
		!strings.Contains(got, `PREVIEW "Hello Alice, this is a test."`) || !strings.Contains(got, "MODSEQ (") {
		t.Errorf("FETCH 1 PREVIEW (CHANGEDSINCE 1): %q", got)
	}
	long := r.ok("FETCH 4 (PREVIEW)")[0]
	if want := `* 4 FETCH (PREVIEW "` + strings.TrimSpace(strings.Repeat("word ", 40)) + `")`; long != want {
		t.Errorf("a long text: %q, want its first 200 characters", long)
	}
	r.ok("ENABLE UTF8=ACCEPT")
	if got := r.ok("FETCH 3 (PREVIEW)")[0]; got != `* 3 FETCH (PREVIEW "こんにちは")` {
		t.Errorf("ISO-2022-JP text after UTF8=ACCEPT: %q", got)
	}
	if err := e.st.WaitIndexed(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := r.ok("UID FETCH 1:* (PREVIEW (LAZY))"); len(got) != 6 || strings.Contains(joined(got), "NIL") {
		t.Errorf("LAZY once indexed: %v", got)
	}
	for _, cmd := range []string{"FETCH 1 (PREVIEW (FUZZY))", "FETCH 1 (PREVIEW (LAZY)", "FETCH 1 (PREVIEW ())", "FETCH 1 PREVIEW (LAZY X)"} {
		if got := r.cmd(cmd); !strings.Contains(got[len(got)-1], "BAD") {
			t.Errorf("%s: %v, want BAD", cmd, got)
		}
	}
}

// previewText folds white space and control characters, keeps at most 200
// characters (one fewer rather than end with a space), and never cuts a
// character or returns invalid UTF-8.
func TestPreviewText(t *testing.T) {
	for in, want := range map[string]string{
		"  a\r\n\tb  ": "a b",
		"x\x00\x01y":   "x y",
		"\xff\xfeok":   "\uFFFDok",
		"":             "",
		" \n ":         "",
		"日本語　の　テキスト":   "日本語 の テキスト", // U+3000 is white space too
	} {
		if got := previewText(in); got != want {
			t.Errorf("previewText(%q) = %q, want %q", in, got, want)
		}
	}
	got := previewText(strings.Repeat("あ い", 300))
	if n := utf8.RuneCountInString(got); n > previewChars || n < previewChars-1 || !utf8.ValidString(got) || strings.HasSuffix(got, " ") {
		t.Errorf("%d characters, valid %v: %q", n, utf8.ValidString(got), got)
	}
}
