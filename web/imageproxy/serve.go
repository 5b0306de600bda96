package imageproxy

import (
	"context"
	"crypto/hmac"
	"errors"
	"io"
	"net/http"
	"net/url"
)

// Answer headers: the image is inert even if a browser is pointed at it directly,
// and only our own pages may embed it.
const (
	imageCSP = "default-src 'none'; sandbox"
)

// Serve answers a proxy request (GET Path?u=…&s=…) for the signed-in account:
// the remote image, or an error status with no body a page could use.
func (p *Proxy) Serve(w http.ResponseWriter, r *http.Request, account string) {
	q := r.URL.Query()
	remote, sig := q.Get("u"), q.Get("s")
	if remote == "" || len(remote) > MaxURLBytes || !hmac.Equal([]byte(sig), []byte(p.sign(account, remote))) {
		// Not a URL we put in one of this account's messages: not an open proxy.
		http.Error(w, "not signed", http.StatusForbidden)
		return
	}
	u, err := url.Parse(remote)
	if err == nil {
		err = checkURL(u)
	}
	if err != nil {
		http.Error(w, "refused", http.StatusForbidden)
		return
	}
	select {
	case p.slots <- struct{}{}:
		defer func() { <-p.slots }()
	case <-r.Context().Done():
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), p.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		http.Error(w, "refused", http.StatusForbidden)
		return
	}
	// Our own headers only: nothing of the browser's (cookies, User-Agent,
	// Accept-Language, Referer) reaches the sender.
	req.Header.Set("User-Agent", "yubin-imageproxy/1")
	req.Header.Set("Accept", "image/avif,image/webp,image/png,image/jpeg,image/gif,image/*;q=0.8")
	resp, err := p.client.Do(req)
	if err != nil {
		p.cfg.Log.Info("image proxy fetch failed", "account", account, "host", u.Host, "err", err)
		if errors.Is(err, errRefused) {
			http.Error(w, "refused", http.StatusForbidden)
		} else {
			http.Error(w, "fetch failed", http.StatusBadGateway)
		}
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		http.Error(w, "fetch failed", http.StatusBadGateway)
		return
	}
	if resp.ContentLength > p.cfg.MaxBytes {
		http.Error(w, "too large", http.StatusBadGateway)
		return
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(resp.Body, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		http.Error(w, "fetch failed", http.StatusBadGateway)
		return
	}
	head = head[:n]
	ct := imageType(head)
	if ct == "" {
		// Whatever the remote Content-Type says: only bytes that are a raster
		// image are served, never HTML, SVG or script.
		http.Error(w, "not an image", http.StatusBadGateway)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", ct)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", imageCSP)
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Content-Disposition", "inline")
	hd.Set("Cache-Control", "private, max-age=86400")
	w.WriteHeader(http.StatusOK)
	w.Write(head)
	rest := p.cfg.MaxBytes - int64(n)
	if _, err := io.CopyN(w, resp.Body, rest); err != nil {
		return // the body ended (or the remote failed): what came is served
	}
	if extra, _ := resp.Body.Read(make([]byte, 1)); extra > 0 {
		// Past MaxBytes: cut the connection so the browser sees a broken image,
		// not a truncated one that looks complete.
		p.cfg.Log.Info("image proxy: image too large", "account", account, "host", u.Host, "max", p.cfg.MaxBytes)
		panic(http.ErrAbortHandler)
	}
}

// imageType is the raster image type of the first bytes of a body (sniffed as
// the WHATWG MIME Sniffing standard's image patterns, plus AVIF), or "".
func imageType(head []byte) string {
	if len(head) >= 12 && string(head[4:8]) == "ftyp" && (string(head[8:12]) == "avif" || string(head[8:12]) == "avis") {
		return "image/avif"
	}
	switch ct := http.DetectContentType(head); ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/x-icon":
		return ct
	}
	return ""
}
