package handlers

import (
	"net/http"
	"strconv"
	"strings"
)

// An attachment that is a raster image or a PDF can be looked at in the page,
// beside its download link: the browser's own image or PDF viewer shows it in a
// frame. What makes that safe is the answer, not the label: the bytes are sniffed
// and only a raster image or a PDF is ever served inline (never HTML, SVG, XML or
// anything a browser would run), as that sniffed type, with nosniff, and under a
// CSP sandbox (an opaque origin, no script, no plugin but the browser's PDF viewer,
// no network), so even a preview URL opened on its own is inert.

// PreviewCSP is the policy of an attachment shown inline. Chromium runs its PDF
// viewer under the CSP sandbox directive but not in an iframe with a sandbox
// attribute, so the directive, not the attribute, is what sandboxes a PDF.
const PreviewCSP = "sandbox; default-src 'none'; img-src 'self' data:; frame-ancestors 'self'"

// previewKind is "image" or "pdf" for an attachment declared as one (what the
// message page offers a preview for), "" otherwise.
func previewKind(contentType string) string {
	ct := strings.ToLower(contentType)
	switch {
	case safeImageType(ct):
		return "image"
	case ct == "application/pdf":
		return "pdf"
	}
	return ""
}

// sniffPreview is the type the bytes really are, when that is one that may be
// shown inline, else "".
func sniffPreview(data []byte) string {
	switch ct := http.DetectContentType(data); ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp":
		return ct
	case "application/pdf":
		return ct
	}
	return ""
}

// MessagePreview serves one attachment inline for the preview frame.
func (h *Handlers) MessagePreview(w http.ResponseWriter, r *http.Request) {
	data, declared, name, ok := h.requestedPart(w, r)
	if !ok {
		return
	}
	ct := sniffPreview(data)
	// Both must agree: an image that is really a PDF (or the reverse) is not
	// previewed as what it hides.
	if ct == "" || previewKind(declared) != previewKind(ct) {
		h.Error(w, r, http.StatusUnsupportedMediaType, "prev.unsupported")
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", ct)
	hd.Set("Content-Disposition", "inline"+strings.TrimPrefix(ContentDisposition(name), "attachment"))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", PreviewCSP)
	hd.Set("X-Frame-Options", "SAMEORIGIN")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}
