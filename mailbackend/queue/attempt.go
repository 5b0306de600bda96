package queue

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/yubinmail/yubin/mailbackend/dnsresolve"
	"github.com/yubinmail/yubin/mailbackend/metrics"
	"github.com/yubinmail/yubin/mailbackend/store"
)

// One delivery attempt of one queue item: where to send it, the sessions, and what
// the outcome does to the item (done, retried later, bounced, expired).

// targets lists the servers to try for a domain, or a permanent/temporary result
// for all its recipients when there are none.
func (q *Queue) targets(ctx context.Context, domain string) ([]target, *rcptResult) {
	if q.cfg.Smarthost != "" {
		host, _, err := net.SplitHostPort(q.cfg.Smarthost)
		if err != nil {
			host = q.cfg.Smarthost
		}
		return []target{{name: host, addr: q.cfg.Smarthost, smarthost: true}}, nil
	}
	res, err := q.resolver()
	if err != nil {
		return nil, &rcptResult{Status: "4.4.3", Diag: "resolver: " + err.Error()}
	}
	hosts, err := lookupMX(ctx, res, domain)
	if err != nil {
		var de *dnsresolve.Error
		switch {
		case errors.Is(err, errNullMX):
			// RFC 7505 section 4.1: bounce at once with 5.1.10.
			return nil, &rcptResult{Perm: true, Status: "5.1.10", Diag: domain + ": " + err.Error()}
		case errors.As(err, &de) && !de.Temp:
			// RFC 3463: 5.1.2 bad destination system address.
			return nil, &rcptResult{Perm: true, Status: "5.1.2", Diag: err.Error()}
		default:
			return nil, &rcptResult{Status: "4.4.3", Diag: err.Error()}
		}
	}
	requireTLS := false
	if p := q.mtaSTS(ctx, res, domain); p != nil && p.mode == "enforce" {
		// RFC 8461 section 4.2: only MX hosts the policy names, each over TLS.
		var allowed []mxHost
		for _, h := range hosts {
			if p.matches(h.Name) {
				allowed = append(allowed, h)
			}
		}
		if len(allowed) == 0 {
			return nil, &rcptResult{Status: "4.7.5", Diag: domain + ": no MX host matches its MTA-STS policy"}
		}
		hosts, requireTLS = allowed, true
	}
	var ts []target
	port := fmt.Sprint(q.cfg.Port)
	for _, h := range hosts {
		for _, a := range h.Addrs {
			ts = append(ts, target{name: h.Name, addr: net.JoinHostPort(a.String(), port), requireTLS: requireTLS})
		}
	}
	if len(ts) > maxAddrsPerTry {
		ts = ts[:maxAddrsPerTry]
	}
	return ts, nil
}

// attempt tries to deliver rcpts (one domain) and returns one result per recipient,
// the host that answered last and the TLS state of that session.
func (q *Queue) attempt(ctx context.Context, item *store.QueueItem, domain string, rcpts []string) ([]rcptResult, string, string) {
	ts, fail := q.targets(ctx, domain)
	if fail != nil {
		return allResults(rcpts, *fail), "", ""
	}
	job := sendJob{from: item.From, rcpts: rcpts, blobID: item.BlobID, size: item.Size}
	var last *hostError
	allPerm := true
	host, tlsInfo := "", ""
	for _, t := range ts {
		host = t.name
		// A host that advertised STARTTLS and then failed the handshake is not
		// retried in plaintext: an attacker on the path can break any handshake, so
		// falling back would hand them the message (a downgrade). sendTo reports it
		// as a temporary host failure; the next host, or the next attempt, may do
		// better. Only a host that never offered STARTTLS gets plaintext (RFC 3207
		// section 4.1 allows it; RFC 7435's fallback is exactly what is refused here).
		res, err := q.sendTo(ctx, t, job, &tlsInfo)
		var he *hostError
		if errors.As(err, &he) && he.tlsErr {
			q.log.Warn("queue: STARTTLS advertised but failed; not falling back to plaintext", "id", item.ID, "host", t.name, "addr", t.addr, "error", he.diag)
		}
		if err == nil {
			return res, host, tlsInfo
		}
		if !errors.As(err, &he) {
			he = &hostError{host: t.name, status: "4.4.2", diag: err.Error()}
		}
		q.log.Info("queue: host failed", "id", item.ID, "domain", domain, "host", t.name, "addr", t.addr, "error", he.diag)
		last = he
		allPerm = allPerm && he.perm
		if ctx.Err() != nil {
			break
		}
	}
	r := rcptResult{Status: "4.4.1", Diag: "no server could be reached"}
	if last != nil {
		// Only when every host refused us outright with 5xx is it permanent; an
		// unreachable host (perhaps the primary, down for a while) never is.
		r = rcptResult{Status: last.status, Diag: last.diag, Perm: allPerm, Remote: last.host}
		switch {
		case r.Perm && !strings.HasPrefix(r.Status, "5."):
			r.Status = "5.0.0"
		case !r.Perm && !strings.HasPrefix(r.Status, "4."):
			r.Status = "4.0.0"
		}
	}
	return allResults(rcpts, r), host, tlsInfo
}

// deliverItem makes one delivery attempt for an item and records the outcome: the
// delivered recipients leave the item, the permanently failed ones are bounced, the
// rest wait for the next try (or bounce when the item has expired).
func (q *Queue) deliverItem(ctx context.Context, item *store.QueueItem) {
	var results []rcptResult
	var hosts, tlsStates []string
	if q.cfg.Smarthost != "" {
		r, h, ts := q.attempt(ctx, item, "", item.Recipients)
		results, hosts, tlsStates = r, []string{h}, []string{ts}
	} else {
		// Normally one domain per item; an item queued for a smarthost that has since
		// been removed from the configuration may hold several.
		var order []string
		byDomain := make(map[string][]string)
		for _, r := range item.Recipients {
			d := domainOf(r)
			if _, ok := byDomain[d]; !ok {
				order = append(order, d)
			}
			byDomain[d] = append(byDomain[d], r)
		}
		for _, d := range order {
			r, h, ts := q.attempt(ctx, item, d, byDomain[d])
			results = append(results, r...)
			hosts, tlsStates = append(hosts, h), append(tlsStates, ts)
		}
	}
	if ctx.Err() != nil {
		// Shutdown cut the attempt short. Unless something was delivered or refused
		// for good, leave the item as it was: a restart is not a failed attempt.
		final := false
		for _, r := range results {
			final = final || r.OK || r.Perm
		}
		if !final {
			q.log.Info("queue delivery", "id", item.ID, "domain", item.Domain, "result", "interrupted")
			return
		}
	}
	q.record(ctx, item, results, strings.Join(hosts, ","), strings.Join(tlsStates, ","))
}

// record saves an attempt's outcome, logs it and sends the DSNs it calls for.
func (q *Queue) record(ctx context.Context, item *store.QueueItem, results []rcptResult, host, tlsInfo string) {
	// Shutdown may have cancelled ctx mid-attempt; the outcome must still be saved.
	sctx := context.WithoutCancel(ctx)
	now := q.now()
	var failed, pending []rcptResult
	delivered := 0
	for _, r := range results {
		switch {
		case r.OK:
			delivered++
		case r.Perm:
			failed = append(failed, r)
		default:
			pending = append(pending, r)
		}
	}
	expired := false
	if len(pending) > 0 && !now.Before(item.Created.Add(q.cfg.RetryFor)) {
		// RFC 3464 section 2.3.3: the message is given up on; the status stays the
		// last temporary one (4.4.7 when we have none better).
		expired = true
		for _, r := range pending {
			r.Perm = true
			if r.Status == "" || r.Status == "4.0.0" {
				r.Status = "4.4.7"
			}
			r.Diag = "delivery time expired after " + q.cfg.RetryFor.String() + "; last error: " + r.Diag
			failed = append(failed, r)
		}
		pending = nil
	}

	// The original headers are needed for a DSN; read them before the item (and its
	// blob) may be deleted.
	var headers []byte
	notifyDelay := len(pending) > 0 && !item.DelayNotified && item.From != "" &&
		!now.Before(item.Created.Add(DelayNoticeAfter))
	if item.From != "" && (len(failed) > 0 || notifyDelay) {
		headers = q.originalHeaders(item.BlobID)
	}

	result := "delivered"
	var errText string
	switch {
	case len(pending) > 0 && (delivered > 0 || len(failed) > 0):
		result = "partial"
	case len(pending) > 0:
		result = "deferred"
	case len(failed) > 0 && delivered > 0:
		result = "partial"
	case len(failed) > 0:
		result = "bounced"
	}
	if expired {
		result = "expired"
	}
	if len(pending) > 0 {
		errText = pending[0].Diag
	} else if len(failed) > 0 {
		errText = failed[0].Diag
	}

	attempts := item.Attempts + 1
	if len(pending) == 0 {
		if err := q.st.DeleteQueueItem(sctx, item.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			q.log.Error("queue: delete finished item", "id", item.ID, "error", err)
		}
	} else {
		upd := *item
		upd.Recipients = nil
		for _, r := range pending {
			upd.Recipients = append(upd.Recipients, r.Rcpt)
		}
		upd.Attempts = attempts
		upd.LastError = errText
		next := now.Add(retryDelay(attempts))
		if notice := item.Created.Add(DelayNoticeAfter); !item.DelayNotified && !notifyDelay &&
			item.From != "" && now.Before(notice) && next.After(notice) {
			next = notice // try again when the delay notice is due, so it goes out on time
		}
		if deadline := item.Created.Add(q.cfg.RetryFor); next.After(deadline) {
			next = deadline // one last try exactly at expiry, then the bounce
		}
		upd.NextAttempt = next
		if notifyDelay {
			upd.DelayNotified = true
		}
		if err := q.st.UpdateQueueItem(sctx, &upd); err != nil {
			q.log.Error("queue: save attempt", "id", item.ID, "error", err)
			if errors.Is(err, store.ErrNotFound) {
				notifyDelay = false // deleted by the operator meanwhile
			}
		}
		if result == "deferred" || result == "partial" {
			q.log.Debug("queue: next attempt", "id", item.ID, "at", next)
		}
	}

	q.noteFailures(item, now, failed, pending)
	q.cfg.Metrics.Message(metrics.Delivered, delivered)
	q.cfg.Metrics.Message(metrics.Bounced, len(failed))
	q.cfg.Metrics.Message(metrics.Deferred, len(pending))
	q.log.Info("queue delivery", "id", item.ID, "from", item.From, "domain", item.Domain,
		"host", host, "tls", tlsInfo, "result", result, "attempt", attempts,
		"delivered", delivered, "bounced", len(failed), "deferred", len(pending), "error", errText)

	if item.From == "" {
		if len(failed) > 0 {
			// Never bounce a bounce (RFC 3464 section 2, RFC 5321 section 6.1).
			q.log.Warn("queue: dropping failed message from the null sender", "id", item.ID, "rcpts", len(failed))
		}
		return
	}
	if len(failed) > 0 {
		q.sendDSN(sctx, item, failed, headers, false)
	}
	if notifyDelay {
		q.sendDSN(sctx, item, pending, headers, true)
	}
}
