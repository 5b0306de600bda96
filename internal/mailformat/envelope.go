package mailformat

// buildEnvelope fills the IMAP ENVELOPE (RFC 9051 section 7.5.2) from header fields.
// The first occurrence of each field counts. Values are unfolded and kept raw.
func buildEnvelope(fields []field) *Envelope {
	env := &Envelope{}
	var haveSender, haveReplyTo bool
	for i := range fields {
		f := &fields[i]
		n := f.name
		if len(n) < 2 {
			continue
		}
		switch {
		case equalFold(n, "date"):
			if env.RawDate == "" {
				env.RawDate = unfold(f.value)
				env.Date = parseDate(env.RawDate)
			}
		case equalFold(n, "subject"):
			if env.Subject == "" {
				env.Subject = unfold(f.value)
			}
		case equalFold(n, "from"):
			if env.From == nil {
				env.From = parseAddressList(unfold(f.value))
			}
		case equalFold(n, "sender"):
			if !haveSender {
				haveSender = true
				env.Sender = parseAddressList(unfold(f.value))
			}
		case equalFold(n, "reply-to"):
			if !haveReplyTo {
				haveReplyTo = true
				env.ReplyTo = parseAddressList(unfold(f.value))
			}
		case equalFold(n, "to"):
			if env.To == nil {
				env.To = parseAddressList(unfold(f.value))
			}
		case equalFold(n, "cc"):
			if env.Cc == nil {
				env.Cc = parseAddressList(unfold(f.value))
			}
		case equalFold(n, "bcc"):
			if env.Bcc == nil {
				env.Bcc = parseAddressList(unfold(f.value))
			}
		case equalFold(n, "in-reply-to"):
			if env.InReplyTo == "" {
				env.InReplyTo = unfold(f.value)
			}
		case equalFold(n, "message-id"):
			if env.MessageID == "" {
				env.MessageID = unfold(f.value)
			}
		}
	}
	// RFC 9051 section 7.5.2: the server defaults Sender and Reply-To to From when
	// they are absent (Dovecot also when they are present but empty).
	if len(env.Sender) == 0 {
		env.Sender = env.From
	}
	if len(env.ReplyTo) == 0 {
		env.ReplyTo = env.From
	}
	return env
}
