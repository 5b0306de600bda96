// Package testtool finds the programs other people wrote that yubin's tests drive as
// real peers: swaks, python3 (imaplib, poplib, smtplib), curl and Chromium.
//
// A developer without one of them gets a skip, so the rest of the suite still runs
// on a bare machine. CI installs every one (.ci/run) and sets YUBIN_REQUIRE_TOOLS=1,
// under which a missing program fails its test instead: a skip there would mean the
// suite proved less than it says, and CI runs without -v, so nobody would see it.
//
// It owns that one rule. It must never be imported by non-test code.
package testtool
