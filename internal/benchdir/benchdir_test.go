package benchdir

import (
	"os"
	"testing"
)

func TestNewOutlivesTheRunAndRemoveAllRemoves(t *testing.T) {
	var dir string
	t.Run("run", func(t *testing.T) {
		dir = New(t)
		if err := os.WriteFile(dir+"/f", []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := os.Stat(dir + "/f"); err != nil {
		t.Fatalf("directory gone after the run that made it: %v", err)
	}
	RemoveAll()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("RemoveAll left %s: %v", dir, err)
	}
}
