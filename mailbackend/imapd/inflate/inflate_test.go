package inflate

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// Streams compress/flate writes, at every level and with flushes anywhere, come
// back as they went in.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("A1 FETCH 1:* (FLAGS ENVELOPE) BODY.PEEK[HEADER] Subject: こんにちは From: alice@example.test \r\n")
	for level := flate.HuffmanOnly; level <= flate.BestCompression; level++ {
		var src, z bytes.Buffer
		fw, err := flate.NewWriter(&z, level)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20000; i++ {
			var w []byte
			switch rng.IntN(10) {
			case 0:
				w = make([]byte, rng.IntN(300)) // incompressible
				for j := range w {
					w[j] = byte(rng.Uint32())
				}
			default:
				w = []byte(words[rng.IntN(len(words))] + " ")
			}
			src.Write(w)
			fw.Write(w)
			if rng.IntN(50) == 0 {
				fw.Flush()
			}
		}
		fw.Close()
		got, err := io.ReadAll(NewReader(bufio.NewReader(&z)))
		if err != nil {
			t.Fatalf("level %d: %v", level, err)
		}
		if !bytes.Equal(got, src.Bytes()) {
			t.Fatalf("level %d: %d bytes back, %d sent, differing", level, len(got), src.Len())
		}
	}
}

// partialFlush is what zlib's deflate with Z_PARTIAL_FLUSH (as mbsync sends
// its commands) made of three pipelined writes: each ends with an empty fixed
// block of which up to 7 bits stay in the sender's buffer, so a decoder that
// waits for the next block before handing out the data never answers.
var partialFlush = []struct{ text, hex string }{
	{"7 UID STORE 2 +FLAGS.SILENT (\\Flagged)\r\n", "325708f57451080ef10f72553052d076f371740fd60bf6f471f50b51d08871cb494c4f4f4dd1e4e50208"},
	{"8 UID STORE 3 +FLAGS.SILENT (\\Deleted)\r\n9 CHECK\r\n10 APPEND \"INBOX\" (\\Seen) {121+}\r\nFrom: a@example.org\r\nSubject: local-new\r\nMessage-ID: <local-new@example.org>\r\nX-TUID: DDCbH+mvR57A\r\n\r\nbody of local-new\r\n\r\n11 UID FETCH 4 (BODY.PEEK[])\r\n",
		"200b2475c618ea5c5273524bc0ea2c159c3d5c9dbd79b90c0d141c03025cfd5c14943cfd9cfc239480ca825353f33415aa0d8d0cb56b79b9dc8af273ad14121d522b12730b7252f5f28bd279b9824b93b252934bac1472f293137374f352cb79b97c538b8b13d353753d5dac146ce0e2c8faec78b922744342410a5c5c9c933cb473cb824ccd1d79b978b992f2532a15f2d390cd033ace10ec1d37d710670f0513050d277f9748bd005757efe858a01f0002"},
	{"12 LOGOUT\r\n", "c8d048c1c7dfdd3f3484970b20"},
}

// Each write's text is handed out before the next write is sent.
func TestPartialFlushIsHandedOutAtOnce(t *testing.T) {
	pr, pw := io.Pipe()
	sent := make(chan int)
	go func() {
		for i, c := range partialFlush {
			<-sent
			b, _ := hex.DecodeString(c.hex)
			pw.Write(b)
			_ = i
		}
		pw.Close()
	}()
	r := NewReader(bufio.NewReader(pr))
	buf := make([]byte, 4096)
	for i, c := range partialFlush {
		sent <- i
		var got []byte
		for len(got) < len(c.text) {
			n, err := r.Read(buf)
			if err != nil {
				t.Fatalf("write %d: %v after %q", i, err, got)
			}
			got = append(got, buf[:n]...)
		}
		if string(got) != c.text {
			t.Fatalf("write %d: %q, want %q", i, got, c.text)
		}
	}
}

// FuzzAgainstFlate: for any input, Reader and compress/flate agree: the same
// bytes when flate accepts the stream, an error when it does not, within the
// per-input budget.
// Run: go test ./mailbackend/imapd/inflate/ -run '^$' -fuzz FuzzAgainstFlate -fuzztime 60s
func FuzzAgainstFlate(f *testing.F) {
	for _, c := range partialFlush {
		b, _ := hex.DecodeString(c.hex)
		f.Add(b)
	}
	for _, level := range []int{flate.HuffmanOnly, flate.BestSpeed, flate.BestCompression} {
		var z bytes.Buffer
		fw, _ := flate.NewWriter(&z, level)
		fw.Write([]byte(strings.Repeat("a FETCH 1:* (FLAGS)\r\n", 50) + "x\x00\xffy"))
		fw.Flush()
		fw.Write([]byte("b LOGOUT\r\n"))
		fw.Close()
		f.Add(z.Bytes())
	}
	f.Add([]byte{0x01, 0x00, 0x00, 0xff, 0xff})
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		const limit = 1 << 22
		want, wantErr := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(in)), limit))
		var got []byte
		var gotErr error
		fuzzbudget.Run(t, func() {
			got, gotErr = io.ReadAll(io.LimitReader(NewReader(bufio.NewReader(bytes.NewReader(in))), limit))
		})
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("flate: %d bytes, %v; Reader: %d bytes, %v", len(want), wantErr, len(got), gotErr)
		}
		if wantErr == nil && !bytes.Equal(got, want) {
			t.Fatalf("flate and Reader disagree: %q vs %q", want, got)
		}
	})
}

// BenchmarkInflate: mail-like text (headers and prose, 4:1 or so) compressed
// at the default level, inflated through Reader; compare BenchmarkFlate.
func BenchmarkInflate(b *testing.B) {
	benchInflate(b, func(r *bufio.Reader) io.Reader { return NewReader(r) })
}

// BenchmarkFlate is the same with compress/flate, for scale.
func BenchmarkFlate(b *testing.B) {
	benchInflate(b, func(r *bufio.Reader) io.Reader { return flate.NewReader(r) })
}

func benchInflate(b *testing.B, open func(*bufio.Reader) io.Reader) {
	rng := rand.New(rand.NewPCG(3, 4))
	words := strings.Fields("the mail server keeps every message in one durable spool and answers IMAP from its metadata Received: from Subject: Re: 日本語の件名 =?UTF-8?B?5pel5pys6Kqe?= base64 AAECAwQFBgcICQ==")
	var src, z bytes.Buffer
	for src.Len() < 4<<20 {
		src.WriteString(words[rng.IntN(len(words))])
		src.WriteByte(" \n"[rng.IntN(2)])
	}
	fw, _ := flate.NewWriter(&z, flate.DefaultCompression)
	fw.Write(src.Bytes())
	fw.Close()
	b.SetBytes(int64(src.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, err := io.Copy(io.Discard, open(bufio.NewReader(bytes.NewReader(z.Bytes()))))
		if err != nil || n != int64(src.Len()) {
			b.Fatal(n, err)
		}
	}
}
