// Package queue owns outbound delivery: it groups remote recipients by domain, looks
// up MX records (falling back to A/AAAA; a null MX bounces), delivers over SMTP with
// opportunistic STARTTLS (verified TLS to the named MX hosts where the domain
// enforces an MTA-STS policy, RFC 8461, mtasts.go) or through an authenticated
// smarthost, retries 4xx and connection failures on a growing schedule, and sends
// RFC 3464 delay notices and bounces to local senders. Its state lives in the store, so it survives restarts.
//
// Files: queue.go (Config, Enqueue, the Run loop, retry and expiry bookkeeping),
// dns.go (MX choice, over the shared mailbackend/dnsresolve client), deliver.go (one SMTP
// session with go-smtp's client), dsn.go (delivery status notifications) and cli.go
// (List, Retry, RetryAll, Delete for `yubin queue`, which runs in its own process).
//
// It must never bounce a message whose sender is the null sender <>, never send the
// smarthost password without TLS (loopback excepted), never send in plaintext to a
// server that advertised STARTTLS (a failed handshake is retried later, not
// downgraded), and never accept mail from the network: it only sends.
package queue
