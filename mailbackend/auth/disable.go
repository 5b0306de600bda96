package auth

import "strings"

// disabledMark in front of a stored password hash disables the account: it can no
// longer sign in over any protocol or the webmail, its sessions end (the hash, the
// credentials' generation, changed: credwatch.go), and enabling it again restores
// the very password it had. Mail to it is still delivered, so nothing bounces while
// someone is away; deleting the account is what refuses their mail. The mark is
// the one /etc/shadow uses for a locked password, for the same reasons.
const disabledMark = "!"

// Disabled reports whether a stored hash is one of a disabled account.
func Disabled(hash string) bool { return strings.HasPrefix(hash, disabledMark) }

// DisabledHash is hash with the account disabled (unchanged if it already is).
func DisabledHash(hash string) string {
	if Disabled(hash) {
		return hash
	}
	return disabledMark + hash
}

// EnabledHash is hash with the account enabled again.
func EnabledHash(hash string) string { return strings.TrimPrefix(hash, disabledMark) }
