package store

import (
	"sort"
	"strings"
)

var systemFlags = map[string]string{
	`\seen`:     FlagSeen,
	`\answered`: FlagAnswered,
	`\flagged`:  FlagFlagged,
	`\deleted`:  FlagDeleted,
	`\draft`:    FlagDraft,
}

// normFlags canonicalises system flags (RFC 9051 section 2.3.2: flags are
// case-insensitive), keeps keywords as given, drops \Recent (a session property, never
// stored), unknown backslash flags and duplicates, and sorts the result.
func normFlags(flags []string) []string {
	out := make([]string, 0, len(flags))
	seen := make(map[string]bool, len(flags))
	for _, f := range flags {
		f = strings.TrimSpace(f)
		if f == "" || strings.ContainsAny(f, " \t\r\n") {
			continue
		}
		low := strings.ToLower(f)
		if strings.HasPrefix(f, `\`) {
			sys, ok := systemFlags[low]
			if !ok {
				continue
			}
			f = sys
		}
		if seen[low] {
			continue
		}
		seen[low] = true
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

func joinFlags(flags []string) string { return strings.Join(flags, " ") }

func splitFlags(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Fields(s)
}

func hasFlag(flags []string, flag string) bool {
	for _, f := range flags {
		if f == flag {
			return true
		}
	}
	return false
}

// applyFlags combines current and given (both normalised) according to op.
func applyFlags(current []string, op FlagOp, given []string) []string {
	switch op {
	case FlagsSet:
		return given
	case FlagsAdd:
		return normFlags(append(append([]string{}, current...), given...))
	case FlagsRemove:
		drop := make(map[string]bool, len(given))
		for _, g := range given {
			drop[strings.ToLower(g)] = true
		}
		out := make([]string, 0, len(current))
		for _, c := range current {
			if !drop[strings.ToLower(c)] {
				out = append(out, c)
			}
		}
		return out
	}
	return current
}

func sameFlags(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
