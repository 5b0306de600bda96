package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"
)

// dialBanner connects to a listener the way its clients do and checks its greeting.
func dialBanner(addr, label string) error {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if label == "submissions (TLS)" || label == "IMAPS" || label == "POP3S" {
		tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true})
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("TLS handshake: %w", err)
		}
		conn = tc
	}
	if label == "webmail" || label == "metrics" {
		fmt.Fprintf(conn, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", addr)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("no greeting: %w", err)
	}
	switch {
	case strings.HasPrefix(label, "SMTP"), strings.HasPrefix(label, "submission"):
		if !strings.HasPrefix(line, "220 ") {
			return fmt.Errorf("greeting %q", line)
		}
	case strings.HasPrefix(label, "IMAP"):
		if !strings.HasPrefix(line, "* OK") {
			return fmt.Errorf("greeting %q", line)
		}
	case strings.HasPrefix(label, "POP3"):
		if !strings.HasPrefix(line, "+OK") {
			return fmt.Errorf("greeting %q", line)
		}
	case label == "webmail" || label == "metrics":
		if !strings.HasPrefix(line, "HTTP/1.") {
			return fmt.Errorf("status line %q", line)
		}
	}
	return nil
}
