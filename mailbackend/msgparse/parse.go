package msgparse

import "errors"

// Parse describes raw. It never returns an error for malformed mail; the error is
// reserved for input that is not a message at all (empty).
func Parse(raw []byte) (*Parsed, error) {
	return nil, errors.New("msgparse: not implemented yet")
}
