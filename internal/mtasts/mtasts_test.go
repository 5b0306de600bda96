package mtasts

import (
	"strings"
	"testing"
)

func TestPolicyAndID(t *testing.T) {
	p := Policy("mail.example.com")
	for _, want := range []string{"version: STSv1\r\n", "mode: enforce\r\n", "mx: mail.example.com\r\n", "max_age: 604800\r\n"} {
		if !strings.Contains(p, want) {
			t.Errorf("policy lacks %q:\n%s", want, p)
		}
	}
	id := ID(p)
	if len(id) < 1 || len(id) > 32 || strings.Trim(id, "0123456789abcdef") != "" {
		t.Errorf("id %q is not 1-32 alphanumerics", id)
	}
	if ID(Policy("mx2.example.com")) == id {
		t.Error("a different policy has the same id")
	}
}
