package smtpd

import (
	"net/netip"
	"sync"
	"time"
)

// inboundRate limits how many messages one outside sender may start on port 25 per
// hour ([limits] inbound_per_ip_per_hour): a flood from one host fills every
// mailbox and the disk. A sender over the limit is told to come back later (451,
// RFC 5321 section 4.2.5: the client keeps the message and retries), so mail is
// delayed, never lost or silently dropped.
//
// Each MAIL command counts when it is admitted (so parallel connections cannot all
// pass the check before any of them is counted). The window is a fixed hour per
// sender from its first message; IPv6 senders are counted per /64, the smallest
// network one host usually controls. The table is bounded (maxInboundSenders):
// expired entries are swept when it fills, and while it is still full new senders
// are answered 451 too, so an attacker with many addresses costs memory only up
// to the bound.
type inboundRate struct {
	perHour int
	now     func() time.Time

	mu      sync.Mutex
	senders map[netip.Prefix]*rateWindow
}

type rateWindow struct {
	start time.Time
	n     int
}

// maxInboundSenders bounds the table: about 100 bytes an entry, so a few MiB.
const maxInboundSenders = 1 << 16

func newInboundRate(perHour int) *inboundRate {
	return &inboundRate{perHour: perHour, now: time.Now, senders: make(map[netip.Prefix]*rateWindow)}
}

// senderKey is the address, or its /64 for IPv6.
func senderKey(ip string) (netip.Prefix, bool) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, err := a.Prefix(bits)
	return p, err == nil
}

// admit counts one message from ip and reports whether it is within the limit.
func (r *inboundRate) admit(ip string) bool {
	if r == nil || r.perHour <= 0 {
		return true
	}
	key, ok := senderKey(ip)
	if !ok {
		return true // not an IP (a test listener on a pipe): nothing to key on
	}
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.senders[key]
	if w != nil && now.Sub(w.start) >= time.Hour {
		w.start, w.n = now, 0
	}
	if w == nil {
		if len(r.senders) >= maxInboundSenders {
			r.sweep(now)
		}
		if len(r.senders) >= maxInboundSenders {
			return false
		}
		w = &rateWindow{start: now}
		r.senders[key] = w
	}
	if w.n >= r.perHour {
		return false
	}
	w.n++
	return true
}

// sweep drops the windows that have ended.
func (r *inboundRate) sweep(now time.Time) {
	for k, w := range r.senders {
		if now.Sub(w.start) >= time.Hour {
			delete(r.senders, k)
		}
	}
}
