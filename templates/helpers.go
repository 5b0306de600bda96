package templates

import (
	"strconv"
	"strings"
)

func itoa[T ~uint32 | ~int | ~int64](n T) string { return strconv.FormatInt(int64(n), 10) }

func depthClass(d int) string {
	if d > 3 {
		d = 3
	}
	return "d" + strconv.Itoa(d)
}

func pageTitle(p Page) string {
	t := p.Lang.T("app")
	if p.Title != "" {
		t = p.Title + " · " + t
	}
	if p.Unread > 0 {
		// The inbox's unread count first, so a pinned or crowded tab still shows it;
		// static/live.js keeps it current.
		t = "(" + itoa(p.Unread) + ") " + t
	}
	return t
}

func joinComma(s []string) string { return strings.Join(s, ", ") }
