package imapd

import (
	"github.com/emersion/go-imap/v2"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// QUOTA (RFC 9208) over the store's per-account storage quota (store/quota.go):
// every mailbox of an account shares one quota root, named "", whose one resource
// is STORAGE, the sum of the account's message sizes in units of 1024 octets
// (section 5.1). The store has no limit on the number of messages, so
// QUOTA=RES-MESSAGE is not offered. Limits are the administrator's (`yubin user
// quota`, [limits] quota_bytes): SETQUOTA is refused and QUOTASET not advertised.
func init() {
	register("GETQUOTA", stateAuthOrSelect, cmdGetQuota)
	register("GETQUOTAROOT", stateAuthOrSelect, cmdGetQuotaRoot)
	register("SETQUOTA", stateAuthOrSelect, cmdSetQuota)
	extraCapabilities = append(extraCapabilities, "QUOTA", "QUOTA=RES-STORAGE")
	statusAtts["DELETED-STORAGE"] = statusDeletedStorage
}

// quotaRoot is the name of the account's one quota root.
const quotaRoot = ""

// cmdGetQuota: GETQUOTA quota-root (RFC 9208 section 4.1.1).
func cmdGetQuota(c *cmd) error {
	if err := c.sp(); err != nil {
		return err
	}
	root, err := c.r.AString(maxStringLiteral)
	if err != nil {
		return err
	}
	if err := c.end(); err != nil {
		return err
	}
	q, err := c.sess.usage()
	if err != nil {
		return err
	}
	if root != quotaRoot || q.Limit <= 0 {
		// An account without a limit has no quota root (section 4.1.2 lets a
		// mailbox have none), so there is nothing to report on.
		return noErr(imap.ResponseCodeNonExistent, "No such quota root")
	}
	writeQuota(c.sess, q)
	return nil
}

// cmdGetQuotaRoot: GETQUOTAROOT mailbox (RFC 9208 section 4.1.2): the mailbox's
// quota roots, then the QUOTA of each.
func cmdGetQuotaRoot(c *cmd) error {
	if err := c.sp(); err != nil {
		return err
	}
	name, err := c.mailbox()
	if err != nil {
		return err
	}
	if err := c.end(); err != nil {
		return err
	}
	sess := c.sess
	ctx, cancel := sess.ctx()
	defer cancel()
	mbox, err := sess.hub.cache.mailbox(ctx, sess.srv.store, sess.acct.ID, name)
	if err != nil {
		return storeErr("getquotaroot", err)
	}
	q, err := sess.usage()
	if err != nil {
		return err
	}
	w := sess.w
	w.Raw("* QUOTAROOT ")
	sess.writeName(mbox.Name)
	if q.Limit > 0 {
		w.SP().String(quotaRoot)
	}
	w.CRLF()
	if q.Limit > 0 {
		writeQuota(sess, q)
	}
	return nil
}

// cmdSetQuota reads SETQUOTA quota-root (resource limits) (RFC 9208 section
// 4.1.3) and refuses it: a user may not raise their own quota.
func cmdSetQuota(c *cmd) error {
	if err := c.sp(); err != nil {
		return err
	}
	if _, err := c.r.AString(maxStringLiteral); err != nil {
		return err
	}
	if err := c.sp(); err != nil {
		return err
	}
	n := 0
	err := c.r.List(true, func() error {
		if n++; n > 100 {
			return badf("Too many quota resources")
		}
		if _, err := c.r.Atom(); err != nil {
			return err
		}
		if err := c.sp(); err != nil {
			return err
		}
		_, err := c.r.Number64()
		return err
	})
	if err != nil {
		return err
	}
	if err := c.end(); err != nil {
		return err
	}
	return noErr(imap.ResponseCodeNoPerm, "Quotas are set by the administrator")
}

// statusDeletedStorage is STATUS DELETED-STORAGE (RFC 9208 section 4.2.2): the
// storage, in units of 1024 octets, that EXPUNGE would free in the mailbox. The
// store counts \Deleted messages per mailbox, so the common case (none) costs
// no query; otherwise the store sums their sizes.
func statusDeletedStorage(sess *session, mbox *store.Mailbox, st *store.MailboxStatus) uint64 {
	if st.Deleted == 0 {
		return 0
	}
	ctx, cancel := sess.ctx()
	defer cancel()
	size, err := sess.srv.store.DeletedSize(ctx, mbox.ID)
	if err != nil {
		sess.srv.log.Error("imap status deleted-storage", "account", sess.account(), "err", err)
		return 0
	}
	return uint64(size+1023) / 1024
}

// usage reads the account's usage and limit from the store.
func (sess *session) usage() (store.Quota, error) {
	ctx, cancel := sess.ctx()
	defer cancel()
	q, err := sess.srv.store.Usage(ctx, sess.acct.ID)
	if err != nil {
		return store.Quota{}, storeErr("quota", err)
	}
	return q, nil
}

// writeQuota writes "* QUOTA "" (STORAGE used limit)" (RFC 9208 section 5.1):
// usage rounded up, so that a mailbox with mail never shows 0, the limit down,
// so that usage shown below the limit always has room for that much more.
func writeQuota(sess *session, q store.Quota) {
	w := sess.w
	w.Raw("* QUOTA ").String(quotaRoot).Raw(" (STORAGE ").
		Number(uint64(max(q.Used, 0)+1023) / 1024).SP().Number(uint64(q.Limit) / 1024).Raw(")").CRLF()
}
