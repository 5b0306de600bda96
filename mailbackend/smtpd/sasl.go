package smtpd

import (
	"errors"
)

var errLoginMalformed = errors.New("smtpd: malformed LOGIN exchange")

// loginServer is the server side of the LOGIN SASL mechanism
// (draft-murchison-sasl-login), which go-sasl only has a client for: the server asks
// "Username:" and then "Password:", each answer one base64 line (go-smtp does the
// base64). Many mail clients (older Outlook, some printers and scanners) know
// nothing else. A client may send the user name as the initial response.
type loginServer struct {
	authenticate func(username, password string) error
	state        int
	username     string
}

const (
	loginStart = iota
	loginWantUser
	loginWantPassword
	loginDone
)

func (l *loginServer) Next(resp []byte) (challenge []byte, done bool, err error) {
	switch l.state {
	case loginStart:
		if len(resp) > 0 {
			l.username = string(resp)
			l.state = loginWantPassword
			return []byte("Password:"), false, nil
		}
		l.state = loginWantUser
		return []byte("Username:"), false, nil
	case loginWantUser:
		if len(resp) == 0 {
			l.state = loginDone
			return nil, true, errLoginMalformed
		}
		l.username = string(resp)
		l.state = loginWantPassword
		return []byte("Password:"), false, nil
	case loginWantPassword:
		l.state = loginDone
		return nil, true, l.authenticate(l.username, string(resp))
	default:
		return nil, true, errLoginMalformed
	}
}
