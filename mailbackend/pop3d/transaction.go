package pop3d

import (
	"math"
	"strconv"
	"strings"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// stat counts the messages not marked deleted and their octets (RFC 1939 section 5:
// deleted messages are not counted).
func (s *session) stat() (n int, size int64) {
	for _, m := range s.msgs {
		if !m.deleted {
			n++
			size += m.size
		}
	}
	return n, size
}

// msgNumber parses a message-number argument and finds it. It replies -ERR itself
// and returns nil when the number is bad, unknown or marked deleted (RFC 1939
// section 5: a deleted message may not be referred to).
func (s *session) msgNumber(arg string) (int, *message) {
	n, ok := parseNumber(arg)
	if !ok {
		s.fail("invalid message number")
		return 0, nil
	}
	if n < 1 || n > len(s.msgs) {
		s.fail("no such message")
		return 0, nil
	}
	m := &s.msgs[n-1]
	if m.deleted {
		s.fail("message %d is deleted", n)
		return 0, nil
	}
	return n, m
}

// parseNumber accepts only plain decimal digits (RFC 1939: no sign, no spaces).
func parseNumber(arg string) (int, bool) {
	if arg == "" || len(arg) > 9 {
		return 0, false
	}
	for _, c := range arg {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(arg)
	return n, err == nil
}

// cmdStat: "+OK nn mm" (RFC 1939 section 5).
func (s *session) cmdStat(arg string) {
	if arg != "" {
		s.fail("STAT takes no argument")
		return
	}
	n, size := s.stat()
	s.ok("%d %d", n, size)
}

// cmdList: one message's size, or a multi-line scan listing of all not deleted.
func (s *session) cmdList(arg string) {
	if arg != "" {
		if n, m := s.msgNumber(arg); m != nil {
			s.ok("%d %d", n, m.size)
		}
		return
	}
	n, size := s.stat()
	s.ok("%d messages (%d octets)", n, size)
	for i, m := range s.msgs {
		if !m.deleted {
			s.reply("%d %d", i+1, m.size)
		}
	}
	s.reply(".")
}

// cmdUidl: unique-id listing (RFC 1939 section 7). The id is
// "<UIDVALIDITY>.<UID>" of the INBOX message, so it stays the same across sessions
// and restarts, and changes only when IMAP would also see a new message.
func (s *session) cmdUidl(arg string) {
	if arg != "" {
		if n, m := s.msgNumber(arg); m != nil {
			s.ok("%d %s", n, s.uniqueID(m))
		}
		return
	}
	s.ok("unique-id listing follows")
	for i := range s.msgs {
		if m := &s.msgs[i]; !m.deleted {
			s.reply("%d %s", i+1, s.uniqueID(m))
		}
	}
	s.reply(".")
}

func (s *session) uniqueID(m *message) string {
	return strconv.FormatUint(uint64(s.mailbox.UIDValidity), 10) + "." + strconv.FormatUint(uint64(m.uid), 10)
}

// cmdRetr sends a whole message (RFC 1939 section 7).
func (s *session) cmdRetr(arg string) {
	_, m := s.msgNumber(arg)
	if m == nil {
		return
	}
	if s.send(m, -1, "%d octets", m.size) {
		m.retrieved = true
		s.retrieved++
	}
}

// cmdTop sends the header and the first lines of the body (RFC 1939 section 7).
func (s *session) cmdTop(arg string) {
	msgArg, linesArg, ok := strings.Cut(arg, " ")
	if !ok {
		s.fail("usage: TOP msg n")
		return
	}
	lines, ok := parseNumber(linesArg)
	if !ok && len(linesArg) > 9 && strings.Trim(linesArg, "0123456789") == "" {
		lines, ok = math.MaxInt32, true // more lines than any message has
	}
	if !ok {
		s.fail("invalid number of lines")
		return
	}
	if _, m := s.msgNumber(msgArg); m != nil {
		s.send(m, lines, "top of message follows")
	}
}

// send writes +OK and the message as multi-line data. It reports whether the whole
// message went out; a failure after +OK cannot be told to the client within the
// protocol, so the connection is closed (and nothing is deleted).
func (s *session) send(m *message, bodyLines int, okFormat string, args ...any) bool {
	f, err := s.srv.store.OpenBlob(m.blobID)
	if err != nil {
		s.srv.log.Error("POP3 open message", "ip", s.ip, "user", s.user, "uid", m.uid, "err", err)
		s.failCode("SYS/TEMP", "message is not available")
		return false
	}
	defer f.Close()
	s.ok(okFormat, args...)
	if err := writeMessage(s.bw, f, bodyLines); err != nil {
		s.srv.log.Warn("POP3 send message", "ip", s.ip, "user", s.user, "uid", m.uid, "err", err)
		s.reason = "error sending message"
		s.quit = true
		return false
	}
	return true
}

// cmdDele marks a message deleted; the store sees it only at QUIT (RFC 1939 section 6).
func (s *session) cmdDele(arg string) {
	n, m := s.msgNumber(arg)
	if m == nil {
		return
	}
	m.deleted = true
	s.ok("message %d deleted", n)
}

func (s *session) cmdNoop(arg string) {
	if arg != "" {
		s.fail("NOOP takes no argument")
		return
	}
	s.ok("noop")
}

// cmdRset unmarks every message marked deleted.
func (s *session) cmdRset(arg string) {
	if arg != "" {
		s.fail("RSET takes no argument")
		return
	}
	for i := range s.msgs {
		s.msgs[i].deleted = false
	}
	n, size := s.stat()
	s.ok("maildrop has %d messages (%d octets)", n, size)
}

// cmdQuit ends the session. After login it is the UPDATE state (RFC 1939 section 6):
// the marked messages are removed from the store, which IMAP sessions see as an
// expunge, and the retrieved ones that stay are marked \Seen for IMAP.
func (s *session) cmdQuit(arg string) {
	s.quit = true
	s.reason = "quit"
	if s.state == stateAuthorization {
		s.ok("%s yubin POP3 server signing off", s.srv.cfg.Hostname)
		return
	}
	s.state = stateUpdate
	ctx, cancel := s.context()
	defer cancel()
	var del []uint32
	var seen []store.UIDRange
	for _, m := range s.msgs {
		switch {
		case m.deleted:
			del = append(del, m.uid)
		case m.retrieved:
			seen = append(seen, store.UIDRange{Start: m.uid, Stop: m.uid})
		}
	}
	if len(seen) > 0 {
		if _, err := s.srv.store.StoreFlags(ctx, s.mailbox.ID, seen, store.FlagsAdd, []string{store.FlagSeen}); err != nil {
			s.srv.log.Warn("POP3 mark seen", "ip", s.ip, "user", s.user, "err", err)
		}
	}
	if len(del) > 0 {
		removed, err := s.srv.store.Remove(ctx, s.mailbox.ID, del)
		if err != nil {
			s.srv.log.Error("POP3 remove deleted messages", "ip", s.ip, "user", s.user, "err", err)
			// RFC 1939 section 6 names this very reply.
			s.failCode("SYS/TEMP", "some deleted messages not removed")
			return
		}
		s.deleted = len(removed)
	}
	// Unlocked before the reply, so a client that reconnects at once finds the
	// maildrop free.
	s.unlock()
	n, _ := s.stat()
	s.ok("%s yubin POP3 server signing off (%d messages left)", s.srv.cfg.Hostname, n)
}
