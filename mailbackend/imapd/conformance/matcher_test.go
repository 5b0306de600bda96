package conformance

import "testing"

// The matcher is what every transcript rests on: it must tell a wrong response
// from a right one, or the groups would pass whatever the server sent.
func TestMatcher(t *testing.T) {
	for _, tc := range []struct {
		pattern, response string
		want              bool
	}{
		{`* 1 FETCH (FLAGS (\Seen) UID 4)`, `* 1 FETCH (UID 4 FLAGS (\Seen))`, true},
		{`* 1 FETCH (FLAGS (\Seen) UID 4)`, `* 1 FETCH (UID 5 FLAGS (\Seen))`, false},
		{`* 1 FETCH (FLAGS (\Seen))`, `* 1 FETCH (FLAGS (\Seen \Flagged))`, false},
		{`* 1 FETCH (FLAGS (\Seen ...))`, `* 1 FETCH (FLAGS (\Flagged \Seen))`, true},
		{`* 1 FETCH (FLAGS (\Seen ...))`, `* 1 FETCH (FLAGS (\Flagged))`, false},
		{`* 1 FETCH (UID 4)`, `* 2 FETCH (UID 4)`, false},
		{`* SEARCH 2 4`, `* SEARCH 2 3 4`, false},
		{`* SEARCH`, `* SEARCH 1`, false},
		{`* SEARCH 1 ...`, `* SEARCH 1 2`, true},
		{`* 1 FETCH (BODY[1] "ab\r\nc")`, "* 1 FETCH (BODY[1] {5}\r\nab\r\nc)", true},
		{`* 1 FETCH (BODY[1] "ab\r\nc")`, "* 1 FETCH (BODY[1] {5}\r\nab\r\nd)", false},
		{`* 1 FETCH (BINARY[1]<0> "abc")`, "* 1 FETCH (BINARY[1] ~{3}\r\nabc)", false},
		{`* 1 FETCH (BINARY[1]<0> "abc")`, "* 1 FETCH (BINARY[1]<0> ~{3}\r\nabc)", true},
		{`* 1 FETCH (BODY[HEADER.FIELDS (TO)] "")`, `* 1 FETCH (BODY[HEADER.FIELDS ("To")] "")`, true},
		{`* 1 FETCH (ENVELOPE (NIL "" NIL))`, `* 1 FETCH (ENVELOPE (NIL NIL NIL))`, false},
		{`* 1 FETCH (BODY ("TEXT" "PLAIN" NIL))`, `* 1 FETCH (BODY ("text" "plain" NIL))`, true},
		{`* 1 FETCH (BODY[] "Hi")`, `* 1 FETCH (BODY[] "hi")`, false},
		{`* STATUS box (MESSAGES 1 UNSEEN 0)`, `* STATUS "box" (UNSEEN 0 MESSAGES 1)`, true},
		{`* STATUS box (MESSAGES 1 UNSEEN 0)`, `* STATUS "box" (UNSEEN 1 MESSAGES 1)`, false},
		{`* LIST (\Subscribed ...) "/" a`, `* LIST (\HasNoChildren \Subscribed) "/" "a"`, true},
		{`* LIST (\Subscribed ...) "/" a`, `* LIST (\HasNoChildren) "/" "a"`, false},
		{`* OK [UIDVALIDITY ?]`, `* OK [UIDVALIDITY 7] UIDs valid`, true},
		{`* OK [UIDNEXT 3]`, `* OK [UIDVALIDITY 3] UIDs valid`, false},
		{`T OK`, `T OK [READ-WRITE] done`, true},
		{`T OK [READ-ONLY]`, `T OK [READ-WRITE] done`, false},
		{`T NO`, `T OK done`, false},
		{`* 3 EXISTS`, `* 3 RECENT`, false},
		{`* ESEARCH (TAG "a") ALL 2,3,1,4`, `* ESEARCH (TAG "a") ALL 2:3,1,4`, true},
		{`* ESEARCH (TAG "a") ALL 1:3`, `* ESEARCH (TAG "a") ALL 1:2`, false},
		{`* ESEARCH (TAG "a") ALL 2,1`, `* ESEARCH (TAG "a") ALL 1:2`, false},
	} {
		got, err := matchLine(tc.pattern, tc.response, bindings{})
		if err != nil || got != tc.want {
			t.Errorf("%s against %q: %v (%v), want %v", tc.pattern, tc.response, got, err, tc.want)
		}
	}
	// A remembered value must match again, and only the same value.
	vars := bindings{}
	if ok, _ := matchLine(`* 1 FETCH (UID ?u)`, `* 1 FETCH (UID 9)`, vars); !ok {
		t.Fatal("binding ?u")
	}
	if ok, _ := matchLine(`* 2 FETCH (UID ?u)`, `* 2 FETCH (UID 10)`, vars); ok {
		t.Error("?u matched another value")
	}
	if ok, _ := matchLine(`* 2 FETCH (UID ?u)`, `* 2 FETCH (UID 9)`, vars); !ok {
		t.Error("?u did not match its own value")
	}
}
