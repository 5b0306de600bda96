package pop3d

import (
	"bufio"
	"io"
)

// writeMessage copies a stored message to w as POP3 multi-line data (RFC 1939
// section 3): every line ends in CRLF, a line starting with "." gets another "."
// in front, and a line holding only "." ends the data. With bodyLines >= 0 only the
// header, the blank line after it and that many body lines are sent (TOP).
//
// The message is streamed line by line through a fixed buffer: a huge message never
// sits in memory. Messages are stored with CRLF line endings, so the octets sent match
// the size LIST reports; a stray bare LF is still sent as CRLF, never as a bare LF.
func writeMessage(w *bufio.Writer, src io.Reader, bodyLines int) error {
	r := bufio.NewReaderSize(src, 32*1024)
	inHeader := true
	atLineStart := true
	body := 0
	for {
		if bodyLines >= 0 && !inHeader && atLineStart && body >= bodyLines {
			break
		}
		// ReadLine strips "\r\n" or "\n", and returns a line longer than the buffer
		// in pieces (isPrefix) rather than growing.
		line, isPrefix, err := r.ReadLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if atLineStart && len(line) > 0 && line[0] == '.' {
			w.WriteByte('.')
		}
		if !isPrefix {
			switch {
			case inHeader && atLineStart && len(line) == 0:
				inHeader = false // RFC 5322 section 2.1: the first empty line ends the header
			case !inHeader:
				body++
			}
		}
		if _, err := w.Write(line); err != nil {
			return err
		}
		if !isPrefix {
			if _, err := w.WriteString("\r\n"); err != nil {
				return err
			}
		}
		atLineStart = !isPrefix
	}
	_, err := w.WriteString(".\r\n")
	return err
}
