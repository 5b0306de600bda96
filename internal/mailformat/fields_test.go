package mailformat

import (
	"reflect"
	"testing"
)

func TestEachHeaderField(t *testing.T) {
	cases := []struct {
		name string
		msg  string
		want []string
	}{
		{"folded and cased", "From: a@x\r\nSubject: one\r\n two\r\nnot a field\r\n\r\nBody: no\r\n",
			[]string{"from=a@x", "subject=one two"}},
		{"header alone", "X-A: 1\r\nX-B:2", []string{"x-a=1", "x-b=2"}},
		{"no header", "\r\nFrom: body@x\r\n", nil},
		{"fold before any field", " stray\r\nTo: b@x\r\n\r\n", []string{"to=b@x"}},
	}
	for _, c := range cases {
		var got []string
		EachHeaderField([]byte(c.msg), func(name, value string) { got = append(got, name+"="+value) })
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
