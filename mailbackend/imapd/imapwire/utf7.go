package imapwire

import (
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Mailbox names are UTF-8 in IMAP4rev2 and after ENABLE UTF8=ACCEPT; an IMAP4rev1
// client exchanges them in modified UTF-7 (RFC 3501 section 5.1.3): printable
// ASCII stands for itself ("&" as "&-"), anything else is "&", the UTF-16 in
// base64 with "," for "/" and no padding, then "-".

var b64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding).Strict()

// ErrUTF7 is a mailbox name that is not valid modified UTF-7.
var ErrUTF7 = errors.New("invalid modified UTF-7 mailbox name")

// EncodeUTF7 converts a UTF-8 mailbox name to modified UTF-7.
func EncodeUTF7(s string) string {
	var b strings.Builder
	var run []uint16
	flush := func() {
		if len(run) == 0 {
			return
		}
		raw := make([]byte, 2*len(run))
		for i, u := range run {
			raw[2*i], raw[2*i+1] = byte(u>>8), byte(u)
		}
		b.WriteByte('&')
		b.WriteString(b64.EncodeToString(raw))
		b.WriteByte('-')
		run = run[:0]
	}
	for _, r := range s {
		if r >= 0x20 && r <= 0x7e {
			flush()
			if r == '&' {
				b.WriteString("&-")
			} else {
				b.WriteRune(r)
			}
			continue
		}
		if r == utf8.RuneError {
			r = 0xfffd
		}
		run = utf16.AppendRune(run, r)
	}
	flush()
	return b.String()
}

// DecodeUTF7 converts a modified UTF-7 mailbox name to UTF-8, strictly: 8-bit
// bytes, unterminated or empty shifts, and ASCII encoded in base64 are errors.
func DecodeUTF7(s string) (string, error) {
	if !strings.Contains(s, "&") {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] > 0x7e {
				return "", ErrUTF7
			}
		}
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return "", ErrUTF7
		}
		if c != '&' {
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(s[i+1:], '-')
		if end < 0 {
			return "", ErrUTF7
		}
		enc := s[i+1 : i+1+end]
		i += end + 1
		if enc == "" {
			b.WriteByte('&')
			continue
		}
		raw, err := b64.DecodeString(enc)
		if err != nil || len(raw)%2 != 0 {
			return "", ErrUTF7
		}
		units := make([]uint16, len(raw)/2)
		for k := range units {
			units[k] = uint16(raw[2*k])<<8 | uint16(raw[2*k+1])
		}
		for _, r := range utf16.Decode(units) {
			if r >= 0x20 && r <= 0x7e || r == utf8.RuneError {
				return "", ErrUTF7 // must have been written directly / broken surrogate
			}
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}
