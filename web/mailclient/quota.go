package mailclient

import (
	"context"
	"fmt"

	"github.com/emersion/go-imap/v2"
)

// Usage is how much the account stores and may store.
type Usage struct {
	Used  int64 // bytes
	Limit int64 // bytes; 0 = no limit, or none the server tells
}

// FolderUsage adds up the folder sizes of a Folders listing (RFC 8438 STATUS=SIZE,
// part of IMAP4rev2): what every IMAP server can report, with no limit. ok is false
// when the server reported no sizes.
func FolderUsage(folders []Folder) (u Usage, ok bool) {
	for _, f := range folders {
		if f.Size >= 0 {
			u.Used += f.Size
			ok = true
		}
	}
	return u, ok
}

// Quota asks for the storage quota of INBOX's quota root (RFC 9208 GETQUOTAROOT,
// STORAGE counted in units of 1024 octets, section 5.1). ok is false when the server
// does not offer QUOTA or has no storage limit on INBOX; the caller then falls back
// to FolderUsage.
func (cl *Client) Quota(ctx context.Context) (u Usage, ok bool, err error) {
	err = cl.DoIMAP(ctx, func(s *Session) error {
		if !s.C.Caps().Has(imap.CapQuota) {
			return nil
		}
		roots, err := s.C.GetQuotaRoot("INBOX").Wait()
		if err != nil {
			return fmt.Errorf("getquotaroot: %w", err)
		}
		for _, r := range roots {
			if res, has := r.Resources[imap.QuotaResourceStorage]; has {
				u, ok = Usage{Used: res.Usage * 1024, Limit: res.Limit * 1024}, true
				return nil
			}
		}
		return nil
	})
	return u, ok, err
}
