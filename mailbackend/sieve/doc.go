// Package sieve is yubin's Sieve interpreter (RFC 5228): it parses and checks a
// user's filtering script and runs it over one message at delivery, returning
// what to do with it (keep in INBOX, file into mailboxes with flags, redirect,
// reject, discard, and an out-of-office reply).
//
// We own this code because no Go Sieve library we could rely on is served to
// this project's build (none is in the module set we may use, and the known ones
// are unmaintained); Sieve is small, well specified and runs on outside input,
// which is exactly the code worth owning.
//
// Supported: the RFC 5228 core (if/elsif/else, require, stop, keep, discard,
// redirect, header, address, exists, size, allof/anyof/not, true/false,
// :is/:contains/:matches, :localpart/:domain/:all, comparators i;octet and
// i;ascii-casemap) and the extensions named in Extensions: fileinto, envelope,
// encoded-character, mailbox (fileinto :create), imap4flags, copy, reject and
// ereject, vacation (RFC 5230), variables (RFC 5229), relational (RFC 5231),
// date, currentdate and index (RFC 5260), body with :raw and :text (RFC 5173)
// and comparator-i;ascii-numeric. Not supported: body :content, regex, include.
//
// Header tests see decoded text: RFC 2047 words and raw 8-bit Japanese headers
// are decoded with internal/mailformat, so `header :contains "subject" "請求書"`
// matches an ISO-2022-JP subject.
//
// Files: lex.go (tokens, positions), parse.go (grammar, size and depth bounds),
// check.go (what each command and test accepts, require), eval.go (running a
// script, actions, tests), dates.go (date, currentdate, index, body), match.go (comparators, match types), variables.go
// (variables, encoded characters, flag lists), vacation.go (when a reply is
// allowed and what it says), message.go (the message as tests see it).
//
// It owns the language: every error a script can have is an *Error with line and
// column, and every run is bounded (script size, nesting depth, redirects,
// actions and comparison work per message). It must never touch the store or
// the network, and reads the time only from Message.Now: the caller carries out
// the Result, remembers vacation replies and sends them. A runtime error returns no Result,
// and the caller must then keep the message in INBOX (RFC 5228 section 2.10.6).
package sieve
