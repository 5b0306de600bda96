package acceptlang

import "testing"

func TestPick(t *testing.T) {
	for _, c := range []struct{ header, want string }{
		{"", "en"},
		{"ja", "ja"},
		{"ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7", "ja"},
		{"en-US,en;q=0.9,ja;q=0.8", "en"},
		{"fr-FR,fr;q=0.9,ja;q=0.5", "ja"}, // the first language we have
		{"fr, de", "en"},                  // none we have
		{"en;q=0.3, ja;q=0.8", "ja"},      // quality, not order
		{"JA-jp", "ja"},                   // case-insensitive
		{"ja;q=abc, en;q=0.1", "ja"},      // an unreadable q counts as 1
	} {
		if got := Pick(c.header); got != c.want {
			t.Errorf("Pick(%q) = %q, want %q", c.header, got, c.want)
		}
	}
}
