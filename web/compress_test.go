package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Compression is bounded: with every compressor slot taken by responses still being
// written, the next response goes out whole and uncompressed, not queued and not
// holding another compressor.
func TestCompressionBounded(t *testing.T) {
	old := maxCompressing
	maxCompressing = 2
	defer func() { maxCompressing = old }()
	release := make(chan struct{})
	var started sync.WaitGroup
	page := strings.Repeat("<p>hello</p>", 200)
	h := boundedCompress(5, "text/html")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.URL.Path == "/slow" {
			started.Done()
			<-release
		}
		w.Write([]byte(page))
	}))
	get := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := get("/fast"); rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatal("a page is not compressed while slots are free")
	}
	var done sync.WaitGroup
	for i := 0; i < 2; i++ {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			get("/slow")
		}()
	}
	started.Wait()
	rec := get("/fast")
	if rec.Header().Get("Content-Encoding") != "" || rec.Body.String() != page {
		t.Errorf("with every slot taken: Content-Encoding %q, body of %d bytes; want the page uncompressed",
			rec.Header().Get("Content-Encoding"), rec.Body.Len())
	}
	close(release)
	done.Wait()
	if rec := get("/fast"); rec.Header().Get("Content-Encoding") != "gzip" {
		t.Error("slots were not given back")
	}
}
