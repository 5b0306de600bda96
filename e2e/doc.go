// Package e2e runs the webmail in a real headless Chromium (chromedp) against the real
// bundled mail server on loopback ports: the daily flows on a desktop and a 375 px
// phone viewport, and an HTML-mail attack corpus. Screenshots go to e2e/artifacts/.
//
// It holds tests only; nothing imports it. Tests skip when /usr/bin/chromium is
// missing and never reach beyond loopback.
package e2e
