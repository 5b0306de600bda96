package admin

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
)

// adminCSS is what the pages need beyond the webmail's app.css: tabs, tables and
// inline forms.
//
//go:embed admin.css
var adminCSS []byte

var cssHash = func() string {
	sum := sha256.Sum256(adminCSS)
	return hex.EncodeToString(sum[:6])
}()

// cssURL changes with the file, so a cached old copy is never used.
var cssURL = "/admin/admin.css?v=" + cssHash

func serveCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	if r.URL.Query().Get("v") == cssHash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	w.Write(adminCSS)
}
