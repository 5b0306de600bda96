package auth

import (
	"errors"

	"github.com/yubinmail/yubin/mailbackend/metrics"
)

// SetMetrics makes every Authenticate count its result in m, by protocol. Call it
// before the servers start.
func (a *Authenticator) SetMetrics(m *metrics.Mail) { a.stats = m }

// countLogin counts one attempt. SMTP AUTH is only offered on submission, so the
// "smtp" service is counted as the submission protocol.
func (a *Authenticator) countLogin(service string, err error) {
	if a.stats == nil {
		return
	}
	protocol := service
	if service == "smtp" {
		protocol = metrics.Submission
	}
	a.stats.Login(protocol, loginResult(err))
}

func loginResult(err error) string {
	switch {
	case err == nil:
		return metrics.LoginOK
	case errors.Is(err, ErrInvalidCredentials):
		return metrics.LoginFailed
	case errors.Is(err, ErrThrottled):
		return metrics.LoginThrottled
	case errors.Is(err, ErrBusy):
		return metrics.LoginBusy
	default:
		return metrics.LoginError
	}
}
