package handlers

import (
	"net/http"
	"time"

	"github.com/yubinmail/yubin/web/settings"
)

// ZoneCookie carries the browser's IANA time zone (Intl.DateTimeFormat, set by
// static/live.js), used when the user has not chosen one in the settings: a
// Japanese user on a UTC server sees Tokyo times without configuring anything.
const ZoneCookie = "tz"

// browserZone is the zone the browser reported, else the server's.
func browserZone(r *http.Request) *time.Location {
	c, err := r.Cookie(ZoneCookie)
	if err != nil || len(c.Value) > 64 || c.Value == "" || !settings.ValidTimeZone(c.Value) {
		return time.Local
	}
	loc, err := time.LoadLocation(c.Value)
	if err != nil {
		return time.Local
	}
	return loc
}
