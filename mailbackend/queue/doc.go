// Package queue owns outbound delivery: it groups remote recipients by domain, looks
// up MX records (falling back to A/AAAA; a null MX bounces), delivers over SMTP with
// opportunistic STARTTLS or through an authenticated smarthost, retries 4xx and
// connection failures on a growing schedule, and sends RFC 3464 delay notices and
// bounces to local senders. Its state lives in the store, so it survives restarts.
//
// It must never bounce a message whose sender is the null sender <>, and never accept
// mail from the network: it only sends.
package queue
