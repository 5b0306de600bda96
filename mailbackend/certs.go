package mailbackend

import (
	"crypto/tls"
	"log/slog"
	"path/filepath"

	"github.com/yubinmail/yubin/mailbackend/acmecert"
	"github.com/yubinmail/yubin/mailbackend/config"
	"github.com/yubinmail/yubin/mailbackend/tlsconf"
)

// Certificates is what every TLS listener of a process presents: the ACME
// certificates when [tls] acme is on (the file or self-signed one standing in until
// they are ready), else the file or self-signed one.
type Certificates struct {
	// TLS is the base server config of the mail listeners; the HTTPS listener
	// clones it (HTTPSConfig).
	TLS *tls.Config
	// ACME is nil unless [tls] acme is on; its Run must be started by the owner.
	ACME *acmecert.Manager
	file *tlsconf.Certificate
}

// OpenCertificates loads (or makes) the file certificate and, with [tls] acme on,
// prepares the ACME manager over it, keeping its state in data_dir/acme. Nothing
// is asked of the CA until ACME.Run.
func OpenCertificates(cfg *config.Config, log *slog.Logger) (*Certificates, error) {
	file, err := tlsconf.Open(cfg.TLS.Cert, cfg.TLS.Key, cfg.DataDir, cfg.Hostname)
	if err != nil {
		return nil, err
	}
	c := &Certificates{file: file, TLS: file.Config()}
	if !cfg.TLS.ACME {
		return c, nil
	}
	if log == nil {
		log = slog.Default()
	}
	c.ACME, err = acmecert.New(acmecert.Config{
		Hostname:  cfg.Hostname,
		Names:     cfg.TLS.ACMEHosts,
		Email:     cfg.TLS.ACMEEmail,
		Directory: cfg.TLS.ACMEDirectory,
		CacheDir:  filepath.Join(cfg.DataDir, "acme"),
		Fallback:  c.TLS.GetCertificate,
		Log:       log.With("component", "acme"),
	})
	if err != nil {
		return nil, err
	}
	c.TLS = c.ACME.TLSConfig(c.TLS, false)
	return c, nil
}

// HTTPSConfig is the HTTPS listener's config: the same certificates, with the
// ACME TLS-ALPN-01 protocol (RFC 8737) offered, since the CA validates on port 443.
func (c *Certificates) HTTPSConfig() *tls.Config {
	if c.ACME != nil {
		return c.ACME.TLSConfig(c.TLS, true)
	}
	return c.TLS.Clone()
}
