package web

import (
	"net/http"
	"runtime"

	"github.com/go-chi/chi/v5/middleware"
)

// maxCompressing bounds the responses being gzip-compressed at once. Each compressor
// holds about a megabyte of deflate state (level 5), and the sign-in page is public:
// 200 parallel sign-ins once took the process past 440 MiB in compressors alone. A
// response beyond the bound is sent uncompressed, which is correct, only larger.
var maxCompressing = 4 * runtime.NumCPU()

// boundedCompress is chi's Compress for the given level and types, applied to at most
// maxCompressing responses at a time.
func boundedCompress(level int, types ...string) func(http.Handler) http.Handler {
	compress := middleware.Compress(level, types...)
	slots := make(chan struct{}, maxCompressing)
	return func(next http.Handler) http.Handler {
		compressed := compress(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/events" { // a stream lives for hours and is never compressed
				next.ServeHTTP(w, r)
				return
			}
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
				compressed.ServeHTTP(w, r)
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}
