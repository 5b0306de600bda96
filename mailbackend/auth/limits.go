package auth

// MaxConnsPerIP bounds concurrent connections from one client address to each mail
// server (SMTP, IMAP, POP3; counted with internal/connlimit), so one host cannot
// exhaust file descriptors and goroutines. Postfix's smtpd_client_connection_count_limit
// is 50 as well. Servers exempt loopback (the webmail and local tools) before counting.
const MaxConnsPerIP = 50
