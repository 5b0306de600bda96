package main

import (
	"context"
	"fmt"
	"io"

	"github.com/dustin/go-humanize"

	"github.com/yubinmail/yubin/mailbackend/store"
)

// userQuota is `yubin user quota ADDRESS SIZE`: SIZE is a byte count with an
// optional unit, SI or binary ("500MB" is 500,000,000 bytes, "2GiB" 2,147,483,648),
// "unlimited" for no limit whatever [limits] quota_bytes says, or "0" / "default"
// to follow [limits] quota_bytes again.
func userQuota(f *commonFlags, pos []string, stdout io.Writer) error {
	if err := wantArgs("user quota", pos, 2, "ADDRESS SIZE (like 2GiB, 500MB, unlimited, or 0 for the default)"); err != nil {
		return err
	}
	setting, err := parseQuota(pos[1])
	if err != nil {
		return err
	}
	st, _, err := openStore(f)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.SetQuota(ctx, pos[0], setting); err != nil {
		return fmt.Errorf("user quota %s: %w", pos[0], err)
	}
	acct, err := st.AccountByAddress(ctx, pos[0])
	if err != nil {
		return err
	}
	q, err := st.Usage(ctx, acct.ID)
	if err != nil {
		return err
	}
	how := ""
	if setting == store.QuotaDefault {
		how = " (the default)"
	}
	fmt.Fprintf(stdout, "quota of %s: %s%s\n", acct.Address, usageText(q), how)
	return nil
}

// parseQuota reads SIZE; see userQuota.
func parseQuota(s string) (int64, error) {
	n, ok := store.ParseQuota(s)
	if !ok {
		return 0, usageError{fmt.Sprintf("user quota: %q is not a size like 2GiB, 500MB, unlimited or 0", s)}
	}
	return n, nil
}

// usageText shows "used / limit", e.g. "1.2 MiB / 2.0 GiB" or "1.2 MiB / unlimited".
func usageText(q store.Quota) string {
	limit := "unlimited"
	if q.Limit > 0 {
		limit = humanize.IBytes(uint64(q.Limit))
	}
	return humanize.IBytes(uint64(q.Used)) + " / " + limit
}
