package smtpd

import (
	"os"
	"testing"

	"github.com/yubinmail/yubin/internal/benchdir"
)

func TestMain(m *testing.M) {
	code := m.Run()
	benchdir.RemoveAll()
	os.Exit(code)
}
