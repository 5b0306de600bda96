package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed app.css app.js contacts.js compose.css compose.js organize.js organize.css live.js keys.js pwa.js sw.js icon-192.png icon-512.png panes.js panes.css outbox.js outbox.css rich.js rich.css touch.js touch.css
var files embed.FS

type asset struct {
	data        []byte
	hash        string
	contentType string
}

var assets = func() map[string]asset {
	m := make(map[string]asset)
	entries, _ := fs.ReadDir(files, ".")
	for _, e := range entries {
		b, err := files.ReadFile(e.Name())
		if err != nil {
			continue
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(e.Name()))
		if ct == "" {
			ct = "application/octet-stream"
		}
		m[e.Name()] = asset{data: b, hash: hex.EncodeToString(sum[:6]), contentType: ct}
	}
	return m
}()

// URL is the cache-busting URL of an embedded file, e.g. /static/app.css?v=1a2b3c4d5e6f.
func URL(name string) string {
	a, ok := assets[name]
	if !ok {
		return "/static/" + name
	}
	return "/static/" + name + "?v=" + a.hash
}

// Names lists the embedded files.
func Names() []string {
	var out []string
	for n := range assets {
		out = append(out, n)
	}
	return out
}

// Handler serves /static/{name}. With the current ?v= hash the response is immutable
// for a year; otherwise it revalidates with an ETag.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		a, ok := assets[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		etag := `"` + a.hash + `"`
		w.Header().Set("Content-Type", a.contentType)
		w.Header().Set("ETag", etag)
		if r.URL.Query().Get("v") == a.hash {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(a.data)
	})
}

// ServiceWorker serves sw.js at /sw.js: a service worker controls at most the
// directory it is served from, and the app's must control every page. It is always
// revalidated, so an update reaches every browser at its next visit.
func ServiceWorker() http.Handler {
	h := Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/static/sw.js"
		r2.URL.RawQuery = ""
		h.ServeHTTP(w, r2)
	})
}
