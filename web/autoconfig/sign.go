package autoconfig

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/smallstep/pkcs7"
)

// signProfile wraps a profile's plist in a CMS SignedData (RFC 5652 section 5,
// the PKCS #7 form Apple's profiles use) signed with cert, the server's TLS
// certificate, its chain included so the device can build the path. iOS and macOS
// check the signature and show the profile as "Verified" when the certificate
// chains to a CA they trust (an ACME certificate does; a self-signed one is shown
// "Not Verified", as an unsigned profile is "Unsigned"). The content is encapsulated
// (not detached): the device reads the plist out of the signature.
func signProfile(plist []byte, cert *tls.Certificate) ([]byte, error) {
	if cert == nil || len(cert.Certificate) == 0 || cert.PrivateKey == nil {
		return nil, errors.New("no certificate to sign with")
	}
	leaf := cert.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("server certificate: %w", err)
		}
	}
	var parents []*x509.Certificate
	for _, der := range cert.Certificate[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("server certificate chain: %w", err)
		}
		parents = append(parents, c)
	}
	sd, err := pkcs7.NewSignedData(plist)
	if err != nil {
		return nil, err
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSignerChain(leaf, cert.PrivateKey, parents, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("sign profile: %w", err)
	}
	return sd.Finish()
}
