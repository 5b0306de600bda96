package mailformat

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

var transferSeeds = []struct{ enc, in string }{
	{"base64", "SGVsbG8sIHdvcmxkIQ==\r\n"},
	{"base64", "SGVs\r\nbG8s IHdv*cmxk\r\nIQ"},
	{"base64", "=SGVsbG8=garbage"},
	{"BASE64", "4pyTIMOgIGxhIG1vZGU=\r\nignored"},
	{"base64", "S-_"},
	{"quoted-printable", "caf=C3=A9 =\r\nsoft  \r\nhard\t\nend=\n"},
	{"quoted-printable", "=4 =ZZ =\r =  x = \r\nnext =41=4"},
	{"quoted-printable", "trailing   "},
	{"quoted-printable", "eq at end ="},
	{"quoted-printable", "eq space end =  "},
	{"quoted-printable", "a \r b\t\r\n"},
	{"7bit", "as is =41\r\n"},
	{"", "as is"},
}

// readAllSmall reads r one byte at a time, so every buffer boundary of the
// decoder is crossed.
func readAllSmall(r io.Reader) ([]byte, error) {
	var out bytes.Buffer
	_, err := io.Copy(&out, iotest.OneByteReader(r))
	return out.Bytes(), err
}

func TestTransferReaderMatchesDecodeTransfer(t *testing.T) {
	for _, tc := range transferSeeds {
		want := DecodeTransfer(tc.enc, []byte(tc.in))
		got, err := io.ReadAll(NewTransferReader(tc.enc, strings.NewReader(tc.in)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s %q: streaming %q (%v), DecodeTransfer %q", tc.enc, tc.in, got, err, want)
		}
		got, err = readAllSmall(NewTransferReader(tc.enc, iotest.OneByteReader(strings.NewReader(tc.in))))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s %q byte by byte: streaming %q (%v), DecodeTransfer %q", tc.enc, tc.in, got, err, want)
		}
	}
	// Large inputs cross the decoders' 4 KiB buffers at every alignment.
	body := bytes.Repeat([]byte("Zm9vYmFy\r\n  =41=\r\n\tcaf=C3=A9 \r\n"), 5000)
	for _, enc := range []string{"base64", "quoted-printable"} {
		got, err := io.ReadAll(NewTransferReader(enc, bytes.NewReader(body)))
		if err != nil || !bytes.Equal(got, DecodeTransfer(enc, body)) {
			t.Errorf("%s, %d bytes: streaming output differs (%v)", enc, len(body), err)
		}
	}
}

// TestTransferReaderBoundedSpace: the documented exception, white space past
// maxQPSpaceRun before a line break is kept rather than held.
func TestTransferReaderBoundedSpace(t *testing.T) {
	in := "a" + strings.Repeat(" ", maxQPSpaceRun+10) + "\r\nb"
	got, err := io.ReadAll(NewTransferReader("quoted-printable", strings.NewReader(in)))
	if err != nil {
		t.Fatal(err)
	}
	if want := "a" + strings.Repeat(" ", maxQPSpaceRun) + "\r\nb"; string(got) != want {
		t.Errorf("got %d bytes, want %d", len(got), len(want))
	}
}

// FuzzTransferReader: the streaming decoder gives DecodeTransfer's output for any
// input (within the 64 KiB space run no fuzz input reaches).
func FuzzTransferReader(f *testing.F) {
	for _, tc := range transferSeeds {
		f.Add(tc.enc == "base64", []byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, isBase64 bool, in []byte) {
		enc := "quoted-printable"
		if isBase64 {
			enc = "base64"
		}
		var got []byte
		var err error
		fuzzbudget.Run(t, func() { got, err = readAllSmall(NewTransferReader(enc, bytes.NewReader(in))) })
		if err != nil {
			t.Fatal(err)
		}
		if want := DecodeTransfer(enc, in); !bytes.Equal(got, want) {
			t.Fatalf("%s %q: streaming %q, DecodeTransfer %q", enc, in, got, want)
		}
	})
}
