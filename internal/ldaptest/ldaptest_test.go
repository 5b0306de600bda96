package ldaptest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestStartServesTLS checks the harness itself with OpenLDAP's own client: the
// service account reads alice's entry over ldaps with the test CA, and once stopped
// the directory does not answer.
func TestStartServesTLS(t *testing.T) {
	s := Start(t)
	search := func() (string, error) {
		cmd := exec.Command("ldapsearch", "-x", "-LLL", "-H", s.LDAPS, "-D", ServiceDN, "-w", ServicePassword,
			"-b", BaseDN, "(mail="+Alice.Mail+")", "mailAlternateAddress")
		cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+s.CAFile, "LDAPTLS_REQCERT=demand")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := search()
	if err != nil || !strings.Contains(out, "mailAlternateAddress: info@example.test") {
		t.Fatalf("ldapsearch over ldaps: %v\n%s", err, out)
	}
	s.Stop()
	if out, err := search(); err == nil {
		t.Fatalf("stopped directory still answered:\n%s", out)
	}
	s.Restart()
	if out, err := search(); err != nil {
		t.Fatalf("restarted directory: %v\n%s", err, out)
	}
}
