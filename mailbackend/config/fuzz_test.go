package config

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/yubinmail/yubin/internal/fuzzbudget"
)

// FuzzLoad: any yubin.toml, broken or hostile, loads or is refused with one
// readable line (what `yubin serve` prints), within the per-input budget; a
// file that loads describes a configuration that writing out and loading again
// gives back unchanged.
// Run: go test ./mailbackend/config/ -run '^$' -fuzz FuzzLoad -fuzztime 30s
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"hostname = \"mail.example.jp\"\ndata_dir = \"/var/lib/yubin\"\ndomains = [\"example.jp\", \"例え.jp\"]\n[listen]\nsmtp = \":25\"\n[limits]\nquota_bytes = 2147483648\n",
		"hostname = \"h\"\ndata_dir = \"d\"\n[smtp]\nmax_message_bytes = 1023\n",
		"hostname = \"h\"\ndata_dir = \"d\"\n[delivery]\nport = 70000\nsmarthost_user = \"u\"\n",
		"hostname = \"h\"\nunknown = 1\n",
		"hostname = \"h\ndata_dir = [\n",
		"[checks]\nspf_fail = \"maybe\"\ndnsbl = [\"zen.spamhaus.org.\", \"bad zone\"]\n",
		"hostname = '''\nmulti\nline'''\ndata_dir = \"\\u0000\"\n",
		"a = [" + strings.Repeat("[", 5000) + "]\n",
	} {
		f.Add(s)
	}
	path := filepath.Join(f.TempDir(), "yubin.toml")
	f.Fuzz(func(t *testing.T, file string) {
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		var c *Config
		var err error
		fuzzbudget.Run(t, func() { c, err = Load(path, false) })
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error is not one line: %q", err.Error())
			}
			return
		}
		var out bytes.Buffer
		if err := toml.NewEncoder(&out).Encode(c); err != nil {
			t.Fatalf("encode the loaded config: %v", err)
		}
		if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		again, err := Load(path, false)
		if err != nil {
			t.Fatalf("the loaded config written out does not load: %v\n%s", err, out.Bytes())
		}
		if !reflect.DeepEqual(c, again) {
			t.Fatalf("loaded %+v, after a round trip %+v", c, again)
		}
	})
}
