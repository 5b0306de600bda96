package imapd

import (
	"strings"
	"testing"
	"time"
)

// RFC 8514: FETCH SAVEDATE is when the message was saved here, not its internal
// date, and the SAVED* search keys compare that date.
func TestSaveDate(t *testing.T) {
	e := newEnv(t)
	before := time.Now()
	e.deliverAt(simpleMsg, time.Date(2020, 3, 4, 5, 6, 7, 0, time.UTC)) // APPEND with an old date
	e.deliver("Subject: two\n\nsecond\n")
	r := e.raw(true)
	if caps := joined(r.ok("CAPABILITY")); !strings.Contains(caps, " SAVEDATE") {
		t.Fatalf("SAVEDATE not advertised: %s", caps)
	}
	r.ok("SELECT INBOX")
	got := r.ok("FETCH 1 (INTERNALDATE SAVEDATE)")[0]
	const prefix = `* 1 FETCH (INTERNALDATE " 4-Mar-2020 05:06:07 +0000" SAVEDATE "`
	if !strings.HasPrefix(got, prefix) {
		t.Fatalf("FETCH: %s", got)
	}
	saved, err := parseDateTime(strings.TrimSuffix(strings.TrimPrefix(got, prefix), `")`))
	if err != nil {
		t.Fatalf("SAVEDATE in %s: %v", got, err)
	}
	if saved.Before(before.Truncate(time.Second)) || saved.After(time.Now()) {
		t.Fatalf("SAVEDATE %v, want the time of the APPEND (%v)", saved, before)
	}

	today := saved.Format("2-Jan-2006")
	yesterday := saved.AddDate(0, 0, -1).Format("2-Jan-2006")
	tomorrow := saved.AddDate(0, 0, 1).Format("2-Jan-2006")
	for key, want := range map[string]string{
		"SAVEDON " + today:                 "* SEARCH 1 2",
		"SAVEDSINCE " + today:              "* SEARCH 1 2",
		"SAVEDSINCE " + tomorrow:           "* SEARCH",
		"SAVEDBEFORE " + today:             "* SEARCH",
		"SAVEDBEFORE " + tomorrow:          "* SEARCH 1 2",
		"SAVEDON " + yesterday:             "* SEARCH",
		"SAVEDATESUPPORTED":                "* SEARCH 1 2",
		"SAVEDATESUPPORTED SUBJECT two":    "* SEARCH 2",
		"BEFORE 1-Jan-2021":                "* SEARCH 1", // the internal date is still 2020
		`SAVEDSINCE "` + today + `" UID 2`: "* SEARCH 2",
	} {
		if got := r.ok("SEARCH " + key); got[0] != want {
			t.Errorf("SEARCH %s: %v, want %s", key, got, want)
		}
	}
	for _, key := range []string{"SAVEDON", "SAVEDON 32-Jan-2026", "SAVEDBEFORE x"} {
		if got := r.cmd("SEARCH " + key); !strings.Contains(got[len(got)-1], "BAD") {
			t.Errorf("SEARCH %s: %v, want BAD", key, got)
		}
	}
}
