package compose

import (
	"bytes"
	"errors"
	"mime"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yubinmail/yubin/web/mailview"
)

var now = time.Date(2026, 3, 3, 10, 4, 5, 0, time.FixedZone("JST", 9*3600))

// checkWire asserts the wire-format rules every built message must keep:
// CRLF line ends only, no line over 78 characters in the header and 76
// in bodies, header and body separated by a blank line.
func checkWire(t *testing.T, raw []byte) {
	t.Helper()
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) || bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\r")) {
		t.Errorf("bare CR or LF in message:\n%q", raw)
	}
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		t.Error("message does not end with CRLF")
	}
	inBody := false
	for i, line := range strings.Split(string(raw), "\r\n") {
		limit := 78 // RFC 5322 section 2.1.1
		if inBody {
			limit = 76 // RFC 2045 sections 6.7 and 6.8
		}
		if len(line) > limit {
			t.Errorf("line %d is %d characters (limit %d): %q", i+1, len(line), limit, line)
		}
		if line == "" {
			inBody = true
		}
	}
	if !bytes.Contains(raw, []byte("\r\n\r\n")) {
		t.Error("no blank line between header and body")
	}
}

func TestBuildRoundTrip(t *testing.T) {
	longJa := strings.Repeat("日本語の長い件名を折り返すテスト、", 6)
	tests := []struct {
		name  string
		draft Draft
		to    []mailview.Address
		files []string
	}{
		{
			name: "japanese everything",
			draft: Draft{
				From:    Address{Name: "山田 太郎", Email: "taro@example.jp"},
				To:      `花子 <hanako@example.jp>, "Smith, Bob" <bob@example.com>`,
				Subject: "来週の会議について①㈱ｶﾀｶﾅ",
				Body:    "花子さん\n\n来週の会議は https://example.jp/会議 です。\n",
				Attachments: []File{
					{Name: "見積書（2026年度版）.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4")},
					{Name: "report.txt", ContentType: "text/plain", Data: []byte("plain\nfile\n")},
				},
			},
			to:    []mailview.Address{{Name: "花子", Email: "hanako@example.jp"}, {Name: "Smith, Bob", Email: "bob@example.com"}},
			files: []string{"見積書（2026年度版）.pdf", "report.txt"},
		},
		{
			name: "long subject and long file name",
			draft: Draft{
				From:        Address{Name: strings.Repeat("長い名前", 12), Email: "a@example.jp"},
				To:          "b@example.jp",
				Subject:     longJa,
				Body:        strings.Repeat("とても長い行です。", 40),
				Attachments: []File{{Name: strings.Repeat("とても長いファイル名", 10) + ".xlsx", Data: bytes.Repeat([]byte{0, 1, 2, 255}, 5000)}},
			},
			to:    []mailview.Address{{Email: "b@example.jp"}},
			files: []string{strings.Repeat("とても長いファイル名", 10) + ".xlsx"},
		},
		{
			name: "ascii",
			draft: Draft{
				From:    Address{Name: "Bob (Work)", Email: "bob@example.com"},
				To:      "alice@example.com; carol@example.com",
				Subject: strings.Repeat("word ", 30) + "end",
				Body:    "Hello,\r\nsee you.\r\n",
			},
			to: []mailview.Address{{Email: "alice@example.com"}, {Email: "carol@example.com"}},
		},
		{
			name: "ascii that looks encoded and unbreakable words",
			draft: Draft{
				From:    Address{Email: "bob@example.com"},
				To:      "alice@example.com",
				Subject: "=?UTF-8?B?5pel?= " + strings.Repeat("x", 90) + "  two  spaces",
				Body:    strings.Repeat("y", 200) + "\n\ttab line   \n.\nFrom me\n",
			},
			to: []mailview.Address{{Email: "alice@example.com"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Build(tt.draft, "mail.example.jp", now)
			if err != nil {
				t.Fatal(err)
			}
			checkWire(t, m.Raw)
			v, err := mailview.Parse(m.Raw)
			if err != nil {
				t.Fatal(err)
			}
			if v.Subject != tt.draft.Subject {
				t.Errorf("Subject = %q, want %q", v.Subject, tt.draft.Subject)
			}
			wantFrom := []mailview.Address{{Name: tt.draft.From.Name, Email: tt.draft.From.Email}}
			if !reflect.DeepEqual(v.From, wantFrom) {
				t.Errorf("From = %q, want %q", v.From, wantFrom)
			}
			if !reflect.DeepEqual(v.To, tt.to) {
				t.Errorf("To = %q, want %q", v.To, tt.to)
			}
			wantBody := strings.ReplaceAll(tt.draft.Body, "\r\n", "\n")
			if !strings.HasSuffix(wantBody, "\n") {
				wantBody += "\n"
			}
			if v.Text != wantBody {
				t.Errorf("Text = %q, want %q", v.Text, wantBody)
			}
			var names []string
			for i, a := range v.Attachments {
				names = append(names, a.Filename)
				data, _, _, err := mailview.Part(m.Raw, a.Path)
				if err != nil || !bytes.Equal(data, tt.draft.Attachments[i].Data) {
					t.Errorf("attachment %s: data differs (%v)", a.Path, err)
				}
			}
			if !reflect.DeepEqual(names, tt.files) {
				t.Errorf("attachments = %q, want %q", names, tt.files)
			}
			if v.MessageID != m.MessageID || !strings.HasSuffix(m.MessageID, "@mail.example.jp>") {
				t.Errorf("Message-ID %q, parsed %q", m.MessageID, v.MessageID)
			}
			if !v.Date.Equal(now) {
				t.Errorf("Date = %v, want %v", v.Date, now)
			}
		})
	}
}

func TestBuildHeaders(t *testing.T) {
	m, err := Build(Draft{
		From:       Address{Email: "me@example.com"},
		To:         "a@example.com, A@EXAMPLE.com",
		Cc:         "c@example.com",
		Bcc:        "hidden@example.com, a@example.com",
		Subject:    "Re: x",
		Body:       "hi",
		InReplyTo:  "<orig@example.com>",
		References: []string{"<r1@example.com>", "r2@example.com", "<orig@example.com>"},
	}, "mail.example.com", now)
	if err != nil {
		t.Fatal(err)
	}
	raw := string(m.Raw)
	if strings.Contains(raw, "hidden@example.com") || strings.Contains(raw, "Bcc:") {
		t.Errorf("Bcc leaked into the message:\n%s", raw)
	}
	wantRcpt := []string{"a@example.com", "c@example.com", "hidden@example.com"}
	if !reflect.DeepEqual(m.Recipients, wantRcpt) {
		t.Errorf("Recipients = %q, want %q", m.Recipients, wantRcpt)
	}
	for _, want := range []string{
		"Date: Tue, 03 Mar 2026 10:04:05 +0900\r\n",
		"From: me@example.com\r\n",
		"In-Reply-To: <orig@example.com>\r\n",
		"References: <r1@example.com> <r2@example.com> <orig@example.com>\r\n",
		"MIME-Version: 1.0\r\n",
		"Content-Type: text/plain; charset=utf-8\r\n",
		"Content-Transfer-Encoding: 7bit\r\n",
		"\r\n\r\nhi\r\n",
	} {
		if !strings.Contains(raw, want) {
			t.Errorf("message lacks %q:\n%s", want, raw)
		}
	}
	v, _ := mailview.Parse(m.Raw)
	if v.InReplyTo != "<orig@example.com>" || len(v.References) != 3 {
		t.Errorf("InReplyTo %q References %q", v.InReplyTo, v.References)
	}
}

func TestBuildDraftKeepsBcc(t *testing.T) {
	m, err := BuildDraft(Draft{From: Address{Email: "me@example.com"}, Bcc: "hidden@example.com", To: "half@", Subject: "draft"}, "h", now)
	if err != nil {
		t.Fatal(err)
	}
	checkWire(t, m.Raw)
	raw := string(m.Raw)
	if !strings.Contains(raw, "Bcc: hidden@example.com\r\n") || !strings.Contains(raw, "To: half@\r\n") {
		t.Errorf("draft lost Bcc or the half-typed To:\n%s", raw)
	}
	if _, err := BuildDraft(Draft{From: Address{Email: "me@example.com"}}, "h", now); err != nil {
		t.Errorf("empty draft: %v", err)
	}
	if _, err := Build(Draft{From: Address{Email: "me@example.com"}}, "h", now); !errors.Is(err, ErrNoRecipients) {
		t.Errorf("Build without recipients: %v", err)
	}
}

func TestHeaderInjection(t *testing.T) {
	base := Draft{From: Address{Name: "Me", Email: "me@example.com"}, To: "a@example.com", Subject: "s"}
	tests := []struct {
		field string
		edit  func(d *Draft)
	}{
		{"Subject", func(d *Draft) { d.Subject = "hi\r\nBcc: victim@example.com" }},
		{"Subject", func(d *Draft) { d.Subject = "hi\nX: y" }},
		{"Subject", func(d *Draft) { d.Subject = "hi\rX: y" }},
		{"From", func(d *Draft) { d.From.Name = "Me\r\nBcc: v@example.com" }},
		{"From", func(d *Draft) { d.From.Email = "me@example.com\nBcc: v@example.com" }},
		{"To", func(d *Draft) { d.To = "a@example.com\r\nBcc: v@example.com" }},
		{"Cc", func(d *Draft) { d.Cc = "a@example.com\nX: y" }},
		{"Bcc", func(d *Draft) { d.Bcc = "\r\n" }},
		{"In-Reply-To", func(d *Draft) { d.InReplyTo = "<a@b>\r\nX: y" }},
		{"References", func(d *Draft) { d.References = []string{"<a@b>\nX: y"} }},
	}
	for _, tt := range tests {
		d := base
		tt.edit(&d)
		for _, build := range []func(Draft, string, time.Time) (*Message, error){Build, BuildDraft} {
			_, err := build(d, "h", now)
			if !errors.Is(err, ErrHeaderInjection) || !strings.HasPrefix(err.Error(), tt.field+": ") {
				t.Errorf("%s: err = %v, want ErrHeaderInjection naming the field", tt.field, err)
			}
		}
	}
}

func TestAddressErrors(t *testing.T) {
	tests := []struct {
		d    Draft
		want string
	}{
		{Draft{From: Address{Email: "me@example.com"}, To: `bob@`}, `To: "bob@" is not an address`},
		{Draft{From: Address{Email: "me@example.com"}, To: `a@example.com, not an address`}, `To: "not an address" is not an address`},
		{Draft{From: Address{Email: "me@example.com"}, To: `bob, a@example.com`}, `To: "bob, a@example.com" is not an address`},
		{Draft{From: Address{Email: "me@example.com"}, Cc: `x@@example.com`}, `Cc: "x@@example.com" is not an address`},
		{Draft{From: Address{Email: "me@example.com"}, To: "a@example.com", Bcc: `<a b@example.com>`}, `Bcc: "<a b@example.com>" is not an address`},
		{Draft{From: Address{Email: "me"}, To: "a@example.com"}, `From: "me" is not an address`},
		{Draft{From: Address{Email: "me@example.com"}, To: "ユーザー@example.jp"}, `To: "ユーザー@example.jp" is not an address`},
	}
	for _, tt := range tests {
		_, err := Build(tt.d, "h", now)
		var ae *AddressError
		if !errors.As(err, &ae) || err.Error() != tt.want {
			t.Errorf("err = %v, want %s", err, tt.want)
		}
	}
}

func TestParseAddressList(t *testing.T) {
	tests := []struct {
		in   string
		want []Address
	}{
		{"", nil},
		{" , ; ", nil},
		{"a@example.com", []Address{{"", "a@example.com"}}},
		{"A <a@example.com>, b@example.com; <c@example.com>", []Address{{"A", "a@example.com"}, {"", "b@example.com"}, {"", "c@example.com"}}},
		{`"Smith, Bob" <bob@example.com>`, []Address{{"Smith, Bob", "bob@example.com"}}},
		{`山田 太郎 <taro@example.jp>`, []Address{{"山田 太郎", "taro@example.jp"}}},
		{`"山田, 太郎" <taro@example.jp>`, []Address{{"山田, 太郎", "taro@example.jp"}}},
		{`=?UTF-8?B?5bGx55Sw?= <y@example.jp>`, []Address{{"山田", "y@example.jp"}}},
		{`Name (comment) <n@example.com>`, []Address{{"Name", "n@example.com"}}},
		{`x@例え.jp`, []Address{{"", "x@xn--r8jz45g.jp"}}},
		{`"quoted local"@example.com`, []Address{{"", `"quoted local"@example.com`}}},
		{`Smith, Bob <bob@example.com>, Doe, Jane <jane@example.com>`, []Address{{"Smith, Bob", "bob@example.com"}, {"Doe, Jane", "jane@example.com"}}},
		{`"say \"hi\"" <h@example.com>`, []Address{{`say "hi"`, "h@example.com"}}},
	}
	for _, tt := range tests {
		got, err := ParseAddressList(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseAddressList(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestLineLimits(t *testing.T) {
	// Every header built from long input of every shape stays within 78.
	inputs := []string{
		strings.Repeat("あ", 200),
		strings.Repeat("a", 300),
		strings.Repeat("ab ", 100) + "c",
		strings.Repeat("😀", 50) + strings.Repeat("é", 50),
		"mixed ascii and 日本語 " + strings.Repeat("x", 77) + " end",
	}
	for _, s := range inputs {
		m, err := Build(Draft{
			From:        Address{Name: s, Email: "a@example.com"},
			To:          strings.Repeat("someone.with.a.long.name@example.com, ", 10) + `"` + s + `" <z@example.com>`,
			Subject:     s,
			Body:        s,
			Attachments: []File{{Name: s, Data: []byte(s)}},
		}, "h.example", now)
		if err != nil {
			t.Fatal(err)
		}
		checkWire(t, m.Raw)
		v, _ := mailview.Parse(m.Raw)
		if v.Subject != s || v.From[0].Name != s || len(v.To) != 11 || v.To[10].Name != s || v.Attachments[0].Filename != s {
			t.Errorf("round trip of %q lost text: subject %q from %q to[10] %q file %q", s, v.Subject, v.From[0].Name, v.To[10].Name, v.Attachments[0].Filename)
		}
		if strings.TrimSuffix(v.Text, "\n") != s {
			t.Errorf("body %q, want %q", v.Text, s)
		}
	}
}

func TestReplyForwardSubject(t *testing.T) {
	for _, tt := range []struct{ in, reply, fwd string }{
		{"Hello", "Re: Hello", "Fwd: Hello"},
		{"Re: Hello", "Re: Hello", "Fwd: Re: Hello"},
		{"RE: re: Re[2]: Hello", "Re: Hello", "Fwd: RE: re: Re[2]: Hello"},
		{"Re：会議", "Re: 会議", "Fwd: Re：会議"},
		{"AW: Termin", "Re: Termin", "Fwd: AW: Termin"},
		{"Fwd: Hello", "Re: Fwd: Hello", "Fwd: Hello"},
		{"FW: Hello", "Re: FW: Hello", "FW: Hello"},
		{"", "Re: ", "Fwd: "},
		{"Regarding x", "Re: Regarding x", "Fwd: Regarding x"},
	} {
		if got := ReplySubject(tt.in); got != tt.reply {
			t.Errorf("ReplySubject(%q) = %q, want %q", tt.in, got, tt.reply)
		}
		if got := ForwardSubject(tt.in); got != tt.fwd {
			t.Errorf("ForwardSubject(%q) = %q, want %q", tt.in, got, tt.fwd)
		}
	}
}

func TestQuote(t *testing.T) {
	got := Quote("Bob <bob@example.com>", time.Date(2026, 3, 3, 9, 5, 0, 0, time.UTC), "Hi,\r\n\r\n> earlier\r\nthanks\r\n\r\n")
	want := "On Tue, Mar 3, 2026 at 09:05, Bob <bob@example.com> wrote:\n> Hi,\n>\n>> earlier\n> thanks\n"
	if got != want {
		t.Errorf("Quote = %q, want %q", got, want)
	}
	if got := Quote("a@b", time.Time{}, "x"); got != "a@b wrote:\n> x\n" {
		t.Errorf("Quote without date = %q", got)
	}
}

// Old clients read the Content-Type name parameter with RFC 2047 words and
// ignore RFC 2231: the standard library's decoders stand in for them.
func TestAttachmentNameForOldClients(t *testing.T) {
	name := "請求書（2026年3月分）株式会社サンプル御中.pdf"
	m, err := Build(Draft{From: Address{Email: "a@example.com"}, To: "b@example.com", Body: "x",
		Attachments: []File{{Name: name, ContentType: "application/pdf", Data: []byte("x")}}}, "h", now)
	if err != nil {
		t.Fatal(err)
	}
	raw := strings.ReplaceAll(string(m.Raw), "\r\n ", " ") // unfold
	var ct, cd string
	for _, line := range strings.Split(raw, "\r\n") {
		if strings.HasPrefix(line, "Content-Type: application/pdf") {
			ct = strings.TrimPrefix(line, "Content-Type: ")
		}
		if strings.HasPrefix(line, "Content-Disposition: attachment") {
			cd = strings.TrimPrefix(line, "Content-Disposition: ")
		}
	}
	_, params, err := mime.ParseMediaType(ct)
	if err != nil {
		t.Fatalf("Content-Type %q: %v", ct, err)
	}
	dec := new(mime.WordDecoder)
	if got, err := dec.DecodeHeader(params["name"]); err != nil || got != name {
		t.Errorf("name= decodes to %q, %v", got, err)
	}
	_, params, err = mime.ParseMediaType(cd)
	if err != nil || params["filename"] != name {
		t.Errorf("filename* decodes to %q, %v (from %q)", params["filename"], err, cd)
	}
}

// A reply-all field prefilled with mailview.FormatAddress parses back.
func TestFormatAddressParsesBack(t *testing.T) {
	in := []mailview.Address{{Name: "Smith, Bob", Email: "bob@example.com"}, {Name: `say "hi" (x)`, Email: "h@example.com"}, {Name: "山田 太郎", Email: "taro@example.jp"}, {Email: "plain@example.com"}}
	var parts []string
	for _, a := range in {
		parts = append(parts, mailview.FormatAddress(a))
	}
	got, err := ParseAddressList(strings.Join(parts, ", "))
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if i >= len(got) || got[i].Name != in[i].Name || got[i].Email != in[i].Email {
			t.Errorf("entry %d: got %q, want %q", i, got, in)
			break
		}
	}
}
