package imapd

import (
	"github.com/yubinmail/yubin/mailbackend/store"
)

// OBJECTID (RFC 8474): the store's object identifiers (store/objectid.go) as the
// MAILBOXID of CREATE, SELECT/EXAMINE and STATUS (section 4), the EMAILID and
// THREADID FETCH items (section 5) and the EMAILID and THREADID search keys
// (section 6). EMAILID comes from the blob ID the metadata cache holds; THREADID
// needs the threading headers, read from the store a batch at a time.
func init() {
	extraCapabilities = append(extraCapabilities, "OBJECTID")
	createResponses = append(createResponses, func(c *cmd, mbox *store.Mailbox) {
		// Section 4.1: "OK [MAILBOXID (id)]" on the tagged reply of CREATE.
		if mbox != nil && mbox.ObjectID != "" {
			c.okCode = "MAILBOXID (" + mbox.ObjectID + ")"
			c.okText = "CREATE completed"
		}
	})
	selectResponses = append(selectResponses, func(sess *session, mbox *store.Mailbox) {
		// Section 4.2: an untagged OK [MAILBOXID (id)] with SELECT and EXAMINE.
		if mbox.ObjectID != "" {
			sess.w.Raw("* OK [MAILBOXID (").Raw(mbox.ObjectID).Raw(")] Ok").CRLF()
		}
	})
	statusValues["MAILBOXID"] = func(sess *session, mbox *store.Mailbox, _ *store.MailboxStatus) {
		sess.w.Raw("(").Raw(mbox.ObjectID).Raw(")") // section 4.3
	}
	fetchAtts["EMAILID"] = func(c *cmd, req *fetchRequest) error {
		addFetchItem(req, "EMAILID", func(fc *fetchContext) error {
			fc.w.Raw("EMAILID (").Raw(emailID(fc.msg.blobID)).Raw(")")
			return nil
		})
		return nil
	}
	fetchAtts["THREADID"] = func(c *cmd, req *fetchRequest) error {
		ids := &threadIDs{}
		addFetchItem(req, "THREADID", func(fc *fetchContext) error {
			id, err := ids.get(fc.sess, fc.sel, fc.msg.uid)
			if err != nil {
				return err
			}
			if id == "" {
				fc.w.Raw("THREADID NIL") // expunged meanwhile: no thread to name
				return nil
			}
			fc.w.Raw("THREADID (").Raw(id).Raw(")")
			return nil
		})
		return nil
	}
	searchKeys["EMAILID"] = func(c *cmd, k *searchKey) error {
		id, err := c.objectID()
		k.ext = append(k.ext, searchPredicate{needMeta: true,
			match: func(_ *searcher, _ int, _ uint32, m *msgMeta) bool { return m != nil && emailID(m.blobID) == id }})
		return err
	}
	searchKeys["THREADID"] = func(c *cmd, k *searchKey) error {
		id, err := c.objectID()
		ids := &threadIDs{}
		k.ext = append(k.ext, searchPredicate{match: func(s *searcher, _ int, uid uint32, _ *msgMeta) bool {
			got, err := ids.get(s.sess, s.sel, uid)
			if err != nil && s.err == nil {
				s.err = err
			}
			return got == id
		}})
		return err
	}
}

// emailID is the EMAILID of the message stored in blobID (RFC 8474 section 5.1).
func emailID(blobID string) string { return (&store.Message{BlobID: blobID}).EmailID() }

// addFetchItem adds an extension's item once, however often the client named it.
func addFetchItem(req *fetchRequest, name string, write func(fc *fetchContext) error) {
	for _, it := range req.extra {
		if it.name == name {
			return
		}
	}
	req.extra = append(req.extra, fetchItem{name: name, write: write})
}

// objectID reads " objectid" (RFC 8474 section 7: 1*255 of ALPHA, DIGIT, "_", "-").
func (c *cmd) objectID() (string, error) {
	if err := c.sp(); err != nil {
		return "", err
	}
	id, err := c.r.Atom()
	if err != nil {
		return "", err
	}
	if len(id) > 255 {
		return "", badf("Object ID too long")
	}
	for i := 0; i < len(id); i++ {
		if b := id[i]; !(b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b == '-') {
			return "", badf("Invalid object ID")
		}
	}
	return id, nil
}

// threadIDs holds the THREADIDs of one command's messages, loaded from the store
// a batch of the view at a time as the command reaches them (FETCH and SEARCH go
// through the view in ascending order), so a FETCH 1:* THREADID costs one query
// per fetchBatch messages.
type threadIDs struct {
	byUID map[uint32]string
}

// get returns uid's THREADID, or "" for a message no longer in the store.
func (t *threadIDs) get(sess *session, sel *selected, uid uint32) (string, error) {
	if id, ok := t.byUID[uid]; ok {
		return id, nil
	}
	last := uid
	if i := sel.index(uid); i >= 0 {
		last = sel.uids[min(i+fetchBatch, len(sel.uids))-1]
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	msgs, err := sess.srv.store.Messages(ctx, sel.id, []store.UIDRange{{Start: uid, Stop: last}}, store.FetchOptions{Threading: true})
	if err != nil {
		return "", storeErr("threadid", err)
	}
	if t.byUID == nil || len(t.byUID) > 4*fetchBatch {
		t.byUID = make(map[uint32]string, len(msgs)+1) // keep one batch, not the mailbox
	}
	t.byUID[uid] = ""
	for i := range msgs {
		t.byUID[msgs[i].UID] = msgs[i].ThreadID()
	}
	return t.byUID[uid], nil
}
