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
	if p.Title == "" {
		return p.Lang.T("app")
	}
	return p.Title + " · " + p.Lang.T("app")
}

func joinComma(s []string) string { return strings.Join(s, ", ") }
