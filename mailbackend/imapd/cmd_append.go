package imapd

import (
	"bytes"
	"errors"
	"io"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/imapd/imapwire"
	"github.com/yubinmail/yubin/mailbackend/store"
)

func init() {
	register("APPEND", stateAuthOrSelect, cmdAppend)
}

// appendMessage is one message of an APPEND: its flags, internal date and text.
type appendMessage struct {
	flags []string
	date  time.Time
	raw   []byte
}

// cmdAppend stores messages (RFC 9051 section 6.3.12; several in one command with
// MULTIAPPEND, RFC 3502) and reports APPENDUID (RFC 4315). Each literal is read as
// it arrives (never allocated at its announced size) and may be a literal8 (RFC
// 3516 section 4.4) or, after ENABLE UTF8=ACCEPT, UTF8 (~{n}) (RFC 6855 section 4).
//
// The messages of a MULTIAPPEND are stored one by one as they arrive, so that only
// one is ever held in memory; if a later one is refused (or the command turns out
// malformed), those already stored are removed again: RFC 3502 section 3 says none
// of them is appended when the command fails.
func cmdAppend(c *cmd) error {
	sess := c.sess
	if err := c.sp(); err != nil {
		return err
	}
	name, err := c.mailbox()
	if err != nil {
		return err
	}
	// The mailbox first: TRYCREATE before anything of the message is read or
	// built (a CATENATE of another mailbox's parts included).
	mbox, err := sess.appendTarget(name)
	if err != nil {
		return err
	}
	var (
		uids     []uint32
		validity uint32
	)
	undo := func() {
		if len(uids) == 0 {
			return
		}
		ctx, cancel := sess.ctx()
		defer cancel()
		if _, err := sess.srv.store.Remove(ctx, mbox.ID, uids); err != nil {
			sess.srv.log.Error("imap multiappend: removing the messages of a failed command", "mailbox", mbox.ID, "err", err)
		}
	}
	for {
		if err := c.sp(); err != nil {
			undo()
			return err
		}
		msg, err := c.appendMessage()
		var uid uint32
		if err == nil {
			uid, validity, err = sess.appendOne(mbox, msg)
		}
		if err != nil {
			undo()
			return err
		}
		uids = append(uids, uid)
		end, err := c.peekEnd()
		if err != nil {
			undo()
			return err
		}
		if end {
			break
		}
	}
	if err := c.end(); err != nil {
		undo()
		return err
	}
	if sel := sess.sel; sel != nil && sel.id == mbox.ID {
		sess.waitForUID(mbox.ID, uids)
	}
	var set imap.UIDSet
	for _, uid := range uids {
		set.AddNum(imap.UID(uid))
	}
	c.okCode = "APPENDUID " + itoa(uint64(validity)) + " " + set.String()
	c.okText = "APPEND completed"
	return nil
}

// appendMessage reads one message of APPEND: [flag-list SP] [date-time SP] literal.
func (c *cmd) appendMessage() (appendMessage, error) {
	var msg appendMessage
	var flags []imap.Flag
	if p, err := c.r.Peek(); err != nil {
		return msg, err
	} else if p == '(' {
		if flags, err = c.flagList(); err != nil {
			return msg, err
		}
		if err := c.sp(); err != nil {
			return msg, err
		}
	}
	if p, err := c.r.Peek(); err != nil {
		return msg, err
	} else if p == '"' {
		s, err := c.r.Quoted()
		if err != nil {
			return msg, err
		}
		if msg.date, err = parseDateTime(s); err != nil {
			return msg, err
		}
		if err := c.sp(); err != nil {
			return msg, err
		}
	}
	utf8Wrap := false
	if p, err := c.r.Peek(); err != nil {
		return msg, err
	} else if p == 'U' || p == 'u' || p == 'C' || p == 'c' {
		a, err := c.atomUpper()
		if err != nil {
			return msg, err
		}
		if a == "CATENATE" {
			if err := c.sp(); err != nil {
				return msg, err
			}
			if msg.raw, err = c.catenate(c.sess.srv.cfg.MaxMessageBytes); err != nil {
				return msg, err
			}
			return msg.finish(flags)
		}
		if a != "UTF8" {
			return msg, badf("Expected a literal")
		}
		if err := c.sp(); err != nil {
			return msg, err
		}
		if err := c.r.Byte('('); err != nil {
			return msg, err
		}
		utf8Wrap = true
	}
	lr, h, err := c.r.LiteralStream(c.sess.srv.cfg.MaxMessageBytes, true)
	if err != nil {
		var tb *imapwire.TooBigError
		if errors.As(err, &tb) {
			return msg, noErr(imap.ResponseCodeTooBig, "Message exceeds the APPENDLIMIT")
		}
		return msg, err
	}
	// Grow the buffer as the literal arrives instead of allocating the announced
	// size up front: a client could otherwise announce APPENDLIMIT bytes (LITERAL+
	// needs no go-ahead), send nothing and pin that much memory.
	buf := bytes.NewBuffer(make([]byte, 0, min(h.Size, 64<<10)))
	if _, err := io.Copy(buf, lr); err != nil {
		return msg, err
	}
	if utf8Wrap {
		if err := c.r.Byte(')'); err != nil {
			return msg, err
		}
	}
	msg.raw = buf.Bytes()
	if h.Binary {
		msg.raw = encodeBinaryParts(msg.raw)
	}
	return msg.finish(flags)
}

// finish checks the message read and its flags.
func (msg appendMessage) finish(flags []imap.Flag) (appendMessage, error) {
	if len(msg.raw) == 0 {
		return msg, noErr("", "Empty message")
	}
	var err error
	if msg.flags, err = storableFlags(flags); err != nil {
		return msg, err
	}
	return msg, nil
}

// appendTarget resolves APPEND's mailbox: TRYCREATE when it does not exist (RFC
// 9051 section 6.3.12).
func (sess *session) appendTarget(name string) (*store.Mailbox, error) {
	ctx, cancel := sess.ctx()
	defer cancel()
	mbox, err := sess.hub.cache.mailbox(ctx, sess.srv.store, sess.acct.ID, name)
	if err != nil {
		if isNotFound(err) {
			return nil, noErr(imap.ResponseCodeTryCreate, "No such mailbox")
		}
		return nil, storeErr("append", err)
	}
	return mbox, nil
}

func (sess *session) appendOne(mbox *store.Mailbox, msg appendMessage) (uid, validity uint32, err error) {
	ctx, cancel := sess.ctx()
	defer cancel()
	uid, validity, err = sess.srv.store.Append(ctx, mbox.ID, msg.raw, msg.flags, msg.date)
	if err != nil {
		return 0, 0, storeErr("append", err)
	}
	return uid, validity, nil
}

// parseDateTime reads date-time (RFC 9051 section 9): "dd-Mon-yyyy hh:mm:ss +zzzz"
// with a space-padded or two-digit day.
func parseDateTime(s string) (time.Time, error) {
	t, err := time.Parse("_2-Jan-2006 15:04:05 -0700", s)
	if err != nil {
		t, err = time.Parse("02-Jan-2006 15:04:05 -0700", s)
	}
	if err != nil {
		return time.Time{}, badf("Invalid date-time")
	}
	return t, nil
}
