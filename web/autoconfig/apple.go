package autoconfig

import (
	"net/http"
	"strings"

	"github.com/google/uuid"
	"howett.net/plist"
)

// An Apple configuration profile (.mobileconfig) with a com.apple.mail.managed
// payload: the IMAP and SMTP servers for one address, password asked on install;
// and, when the server offers CardDAV over HTTPS, a com.apple.carddav.account
// payload for the address books. Keys are those of Apple's "Mail" and "CardDAV"
// payload references (Device Management). The profile is signed with the server's
// certificate when Settings.SigningCertificate gives one (sign.go), else unsigned.
type appleProfile struct {
	PayloadContent           []any
	PayloadDisplayName       string
	PayloadDescription       string
	PayloadIdentifier        string
	PayloadRemovalDisallowed bool
	PayloadType              string
	PayloadUUID              string
	PayloadVersion           int
}

type appleMailPayload struct {
	EmailAccountDescription                string
	EmailAccountType                       string // EmailTypeIMAP or EmailTypePOP
	EmailAddress                           string
	IncomingMailServerAuthentication       string
	IncomingMailServerHostName             string
	IncomingMailServerPortNumber           int
	IncomingMailServerUseSSL               bool
	IncomingMailServerUsername             string
	OutgoingMailServerAuthentication       string
	OutgoingMailServerHostName             string
	OutgoingMailServerPortNumber           int
	OutgoingMailServerUseSSL               bool
	OutgoingMailServerUsername             string
	OutgoingPasswordSameAsIncomingPassword bool
	PayloadDisplayName                     string
	PayloadIdentifier                      string
	PayloadType                            string
	PayloadUUID                            string
	PayloadVersion                         int
}

// appleCardDAVPayload is Apple's com.apple.carddav.account: the principal URL
// spares the device the discovery, the password is asked on install.
type appleCardDAVPayload struct {
	CardDAVAccountDescription string
	CardDAVHostName           string
	CardDAVPort               int
	CardDAVPrincipalURL       string
	CardDAVUseSSL             bool
	CardDAVUsername           string
	PayloadDisplayName        string
	PayloadIdentifier         string
	PayloadType               string
	PayloadUUID               string
	PayloadVersion            int
}

// profileNamespace seeds the profile's UUIDs: name-based (RFC 9562 section 5.5), so
// the profile downloaded again for the same address and server has the same UUIDs
// and replaces the installed one instead of adding a second account.
var profileNamespace = uuid.NewSHA1(uuid.NameSpaceDNS, []byte("mobileconfig.yubin"))

// appleProfile is the profile for address, or ok false when no incoming or no
// outgoing service is on.
func (s Settings) appleProfile(address string) (appleProfile, bool) {
	in, okIn := first(s.incoming(), "imap")
	accountType := "EmailTypeIMAP"
	if !okIn {
		in, okIn = first(s.incoming(), "pop3")
		accountType = "EmailTypePOP"
	}
	out, okOut := first(s.outgoing(), "smtp")
	if !okIn || !okOut || s.Hostname == "" {
		return appleProfile{}, false
	}
	// Reverse-DNS identifiers, unique per server and address.
	id := reverseDNS(s.Hostname) + ".yubin.mail." + strings.ReplaceAll(address, "@", ".at.")
	uuidOf := func(name string) string {
		return strings.ToUpper(uuid.NewSHA1(profileNamespace, []byte(name)).String())
	}
	mail := appleMailPayload{
		EmailAccountDescription:                address,
		EmailAccountType:                       accountType,
		EmailAddress:                           address,
		IncomingMailServerAuthentication:       "EmailAuthPassword",
		IncomingMailServerHostName:             s.Hostname,
		IncomingMailServerPortNumber:           in.Port,
		IncomingMailServerUseSSL:               true, // on a STARTTLS port, iOS upgrades with STARTTLS
		IncomingMailServerUsername:             address,
		OutgoingMailServerAuthentication:       "EmailAuthPassword",
		OutgoingMailServerHostName:             s.Hostname,
		OutgoingMailServerPortNumber:           out.Port,
		OutgoingMailServerUseSSL:               true,
		OutgoingMailServerUsername:             address,
		OutgoingPasswordSameAsIncomingPassword: true,
		PayloadDisplayName:                     address,
		PayloadIdentifier:                      id + ".account",
		PayloadType:                            "com.apple.mail.managed",
		PayloadUUID:                            uuidOf(id + ".account"),
		PayloadVersion:                         1,
	}
	content := []any{mail}
	description := "IMAP and SMTP settings for " + address + " on " + s.Hostname
	// Only over HTTPS: the CardDAV server takes no password over plain HTTP from
	// anywhere but loopback (mailbackend/dav).
	if s.CardDAVPort > 0 && s.CardDAVPath != "" {
		content = append(content, appleCardDAVPayload{
			CardDAVAccountDescription: "Contacts: " + address,
			CardDAVHostName:           s.Hostname,
			CardDAVPort:               s.CardDAVPort,
			CardDAVPrincipalURL:       s.CardDAVPath + address + "/",
			CardDAVUseSSL:             true,
			CardDAVUsername:           address,
			PayloadDisplayName:        "Contacts: " + address,
			PayloadIdentifier:         id + ".contacts",
			PayloadType:               "com.apple.carddav.account",
			PayloadUUID:               uuidOf(id + ".contacts"),
			PayloadVersion:            1,
		})
		description = "IMAP, SMTP and CardDAV (contacts) settings for " + address + " on " + s.Hostname
	}
	return appleProfile{
		PayloadContent:     content,
		PayloadDisplayName: "Mail: " + address,
		PayloadDescription: description,
		PayloadIdentifier:  id,
		PayloadType:        "Configuration",
		PayloadUUID:        uuidOf(id),
		PayloadVersion:     1,
	}, true
}

// reverseDNS turns mail.example.com into com.example.mail.
func reverseDNS(host string) string {
	labels := strings.Split(strings.ToLower(host), ".")
	for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
		labels[i], labels[j] = labels[j], labels[i]
	}
	return strings.Join(labels, ".")
}

// MobileConfigPath is where a signed-in user downloads the profile.
const MobileConfigPath = "/settings/mobileconfig"

// ServeAppleProfile sends the profile for address, the signed-in user's (the caller
// checked the session). Nothing secret is in it: the password is asked on install.
func (s Settings) ServeAppleProfile(w http.ResponseWriter, r *http.Request, address string) {
	p, ok := s.appleProfile(address)
	if !ok {
		http.NotFound(w, r)
		return
	}
	out, err := plist.MarshalIndent(p, plist.XMLFormat, "\t")
	if err != nil {
		panic(err) // our own struct: a programming error, turned into a 500
	}
	if s.SigningCertificate != nil {
		// A profile that cannot be signed (no certificate yet, a key type CMS
		// signing does not take) is still worth having: it goes out unsigned,
		// which iOS installs after saying so.
		if cert, err := s.SigningCertificate(); err == nil {
			if signed, err := signProfile(out, cert); err == nil {
				out = signed
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-apple-aspen-config")
	w.Header().Set("Content-Disposition", `attachment; filename="mail.mobileconfig"`)
	w.Write(out)
}
