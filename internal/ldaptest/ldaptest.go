package ldaptest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/yubinmail/yubin/internal/testtool"
)

// The test directory's names and secrets.
const (
	BaseDN          = "dc=example,dc=test"
	ServiceDN       = "cn=yubin,ou=services,dc=example,dc=test"
	ServicePassword = "service-secret"
	rootDN          = "cn=admin,dc=example,dc=test"
	rootPassword    = "root-secret"

	// UserFilter and GroupFilter are what an office would configure for this tree.
	UserFilter  = "(&(objectClass=inetOrgPerson)(mail=%s))"
	GroupFilter = "(&(objectClass=groupOfNames)(cn=mailusers)(member=%s))"
)

// User is one person in the test directory.
type User struct {
	UID, Mail, Password, Name string
	Alternate                 []string // mailAlternateAddress values
	Proxy                     []string // proxyAddresses values, AD style ("SMTP:", "smtp:", "x500:")
	InGroup                   bool     // member of cn=mailusers
}

// DN is the user's entry name.
func (u User) DN() string { return "uid=" + u.UID + ",ou=people," + BaseDN }

// The users loaded into every test directory.
var (
	Alice = User{UID: "alice", Mail: "alice@example.test", Password: "alice-ldap-pw", Name: "山田 花子",
		Alternate: []string{"info@example.test", "hanako.yamada@example.test"}, InGroup: true}
	Bob = User{UID: "bob", Mail: "bob@example.test", Password: "bob-ldap-pw", Name: "Bob Builder",
		Proxy: []string{"SMTP:bob@example.test", "smtp:sales@example.test", "x500:/o=Example/cn=bob"}, InGroup: true}
	// Carol is in the directory but not in the mail group.
	Carol = User{UID: "carol", Mail: "carol@example.test", Password: "carol-ldap-pw", Name: "Carol Outside"}
	Users = []User{Alice, Bob, Carol}
)

// schema adds the two extra-address attributes the stock schemas lack:
// mailAlternateAddress (Sun/qmail style) and proxyAddresses (Active Directory), with
// test OIDs under the example arc.
const schema = `attributetype ( 1.3.6.1.4.1.32473.1.1 NAME 'mailAlternateAddress'
	EQUALITY caseIgnoreIA5Match SUBSTR caseIgnoreIA5SubstringsMatch
	SYNTAX 1.3.6.1.4.1.1466.115.121.1.26{256} )
attributetype ( 1.3.6.1.4.1.32473.1.2 NAME 'proxyAddresses'
	EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
	SYNTAX 1.3.6.1.4.1.1466.115.121.1.15{1123} )
objectclass ( 1.3.6.1.4.1.32473.2.1 NAME 'yubinTestMailUser' SUP top AUXILIARY
	MAY ( mailAlternateAddress $ proxyAddresses ) )
`

// Server is a running (or stopped) test slapd.
type Server struct {
	// URL is the ldap:// address (StartTLS), LDAPS the ldaps:// one.
	URL, LDAPS string
	// CAFile is the PEM of the CA that signed the server's certificate; OtherCAFile
	// is a CA that did not (for the wrong-CA test).
	CAFile, OtherCAFile string

	t       testing.TB
	dir     string
	slapd   string
	conf    string
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	running bool
}

// Start makes a directory with Users and starts slapd on loopback. It is stopped when
// the test ends. The test is skipped when slapd is not installed (failed with
// YUBIN_REQUIRE_TOOLS=1).
func Start(t testing.TB) *Server {
	t.Helper()
	slapd := tool(t, "slapd", "/usr/sbin/slapd")
	slapadd := tool(t, "slapadd", "/usr/sbin/slapadd")
	tool(t, "ldapmodify", "/usr/bin/ldapmodify")
	dir := t.TempDir()
	s := &Server{t: t, dir: dir, slapd: slapd}
	s.CAFile, s.OtherCAFile = writeCerts(t, dir)
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "yubin-test.schema"), schema)
	s.conf = filepath.Join(dir, "slapd.conf")
	write(t, s.conf, s.slapdConf())
	ldif := filepath.Join(dir, "data.ldif")
	write(t, ldif, dataLDIF())
	if out, err := exec.Command(slapadd, "-f", s.conf, "-l", ldif).CombinedOutput(); err != nil {
		t.Fatalf("slapadd: %v\n%s", err, out)
	}
	ports := freePorts(t, 2)
	s.URL = fmt.Sprintf("ldap://127.0.0.1:%d", ports[0])
	s.LDAPS = fmt.Sprintf("ldaps://127.0.0.1:%d", ports[1])
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) slapdConf() string {
	d := s.dir
	return fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include %[1]s/yubin-test.schema
pidfile %[1]s/slapd.pid
argsfile %[1]s/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile %[1]s/ca.pem
TLSCertificateFile %[1]s/server.pem
TLSCertificateKeyFile %[1]s/server.key
database mdb
maxsize 10485760
suffix "%[2]s"
rootdn "%[3]s"
rootpw %[4]s
directory %[1]s/db
index objectClass eq
index mail,mailAlternateAddress,proxyAddresses eq
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
`, d, BaseDN, rootDN, rootPassword)
}

func dataLDIF() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n", BaseDN)
	for _, ou := range []string{"people", "groups", "services"} {
		fmt.Fprintf(&b, "dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n", ou, BaseDN, ou)
	}
	fmt.Fprintf(&b, "dn: %s\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: yubin\nuserPassword: %s\n\n",
		ServiceDN, ServicePassword)
	var members []string
	for _, u := range Users {
		fmt.Fprintf(&b, "dn: %s\nobjectClass: inetOrgPerson\nobjectClass: yubinTestMailUser\nuid: %s\ncn: %s\nsn: %s\nmail: %s\nuserPassword: %s\n",
			u.DN(), u.UID, u.UID, u.UID, u.Mail, u.Password)
		// Non-ASCII values are base64 in LDIF (RFC 2849 SAFE-STRING is ASCII).
		fmt.Fprintf(&b, "displayName:: %s\n", base64.StdEncoding.EncodeToString([]byte(u.Name)))
		for _, a := range u.Alternate {
			fmt.Fprintf(&b, "mailAlternateAddress: %s\n", a)
		}
		for _, p := range u.Proxy {
			fmt.Fprintf(&b, "proxyAddresses: %s\n", p)
		}
		b.WriteString("\n")
		if u.InGroup {
			members = append(members, "member: "+u.DN())
		}
	}
	fmt.Fprintf(&b, "dn: cn=mailusers,ou=groups,%s\nobjectClass: groupOfNames\ncn: mailusers\n%s\n\n",
		BaseDN, strings.Join(members, "\n"))
	return b.String()
}

// Restart starts slapd again on the same ports (after Stop) and waits until it
// accepts connections.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return
	}
	// -d 0: stay in the foreground (so the test owns the process), log nothing.
	cmd := exec.Command(s.slapd, "-f", s.conf, "-h", s.URL+"/ "+s.LDAPS+"/", "-d", "0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start slapd: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	host := strings.TrimPrefix(s.URL, "ldap://")
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", host, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			s.t.Fatalf("slapd exited at start: %s", stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			s.t.Fatalf("slapd did not listen on %s within 15s: %s", host, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.cmd, s.exited, s.running = cmd, exited, true
}

// Stop ends slapd (SIGTERM, then SIGKILL) and waits for it: the directory outage of
// the tests. Restart brings it back with the same data.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.running = false
}

// Modify applies an LDIF change record (ldapmodify as the directory's root).
func (s *Server) Modify(ldif string) {
	s.t.Helper()
	cmd := exec.Command("ldapmodify", "-x", "-H", s.URL, "-D", rootDN, "-w", rootPassword)
	cmd.Stdin = strings.NewReader(ldif)
	if out, err := cmd.CombinedOutput(); err != nil {
		s.t.Fatalf("ldapmodify: %v\n%s", err, out)
	}
}

// tool finds a program in PATH or at its Debian place (sbin is often not in PATH).
func tool(t testing.TB, name, debianPath string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if _, err := os.Stat(debianPath); err == nil {
		return debianPath
	}
	testtool.Missing(t, name+" (Debian packages slapd and ldap-utils)")
	return ""
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// freePorts finds n loopback ports free now (slapd binds them a moment later).
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}
