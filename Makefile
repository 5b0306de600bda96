# yubin — the two front-door commands are `make run` and `make test`.
GO       ?= go
BIN      := bin/yubin
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
PKGS     := ./...

.PHONY: all build run test check generate fuzz bench bench-store bench-smtp bench-imap bench-web clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/yubin

## run: build and start `yubin serve --dev` (loopback ports, demo@localhost / demo)
run: build
	./$(BIN) serve --dev

## test: formatting, vet and staticcheck, then every test (templates/generate_test.go
## checks that the committed *_templ.go files match their .templ sources; arch_test.go
## checks the import rules of docs/ARCHITECTURE.md). The packages whose code shares
## state between goroutines (connections, the store's committer and indexer, event
## hubs, the queue, throttles, web sessions and live streams) run under the race
## detector *instead of* a plain run: one run each keeps CI well inside its 20 minutes
## (-race makes them several times slower), and a race run still runs every test.
## Measured on the 2-core machine (1,972 tests, 2026-12-07, 20:13 UTC): 9.2 min on a clean
## clone, the machine otherwise quiet, warm build cache; about 30 min while eight sessions loaded it.
## The rest run plainly. scripts/testsummary prints go test's usual lines, then the
## skipped tests and one closing count ("tests: N passed, N failed, N skipped").
RACE_PKGS := ./mailbackend/ ./mailbackend/store/ ./mailbackend/imapd/ ./mailbackend/smtpd/ \
	./mailbackend/pop3d/ ./mailbackend/queue/ ./mailbackend/auth/ ./mailbackend/checks/ \
	./mailbackend/directory/ ./mailbackend/dnsresolve/ ./internal/connlimit/ \
	./internal/loginguard/ ./handlers/ ./web/...
PLAIN_PKGS = $(filter-out $(shell $(GO) list $(RACE_PKGS)),$(shell $(GO) list $(PKGS)))
test: check
	$(GO) run ./scripts/testsummary \
		$(GO) test -json -count=1 -timeout 20m $(PLAIN_PKGS) \; \
		$(GO) test -json -race -count=1 -timeout 20m $(RACE_PKGS)

check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)

generate:
	$(GO) tool templ generate

## fuzz: every fuzz target for FUZZTIME each, one after another (go test -fuzz runs one
## target per invocation). `make test` already replays each target's seeds and its
## committed corpus (testdata/fuzz); a crasher found here is written there. Narrow it
## with FUZZPKGS=./web/... or FUZZ=Linkify (a regexp on the target names).
FUZZTIME  ?= 30s
FUZZPKGS  ?= ./...
FUZZ      ?= .
FUZZFLAGS ?= -fuzzminimizetime 10s
fuzz:
	@set -e; \
	for pkg in $$($(GO) list -f '{{.ImportPath}}={{.Dir}}' $(FUZZPKGS)); do \
		grep -qs '^func Fuzz' $${pkg#*=}/*_test.go || continue; pkg=$${pkg%%=*}; \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' | grep -E -- '$(FUZZ)'); do \
			echo "== $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) $$pkg; \
		done; \
	done

## bench: every benchmark with the settings its figures in the README were taken with
## (5 runs each where noise matters: report medians; the machines are noisy).
## The delivery benchmarks keep their spools in $(BENCH_DIR) until every benchmark ran:
## removing thousands of files just before a run slows file creation for a minute or
## more on ext4 without a journal (internal/benchdir says why).
BENCH_DIR := $(CURDIR)/.bench-data
bench bench-store bench-smtp: export YUBIN_BENCH_DIR := $(BENCH_DIR)

bench: bench-store bench-smtp bench-imap bench-web
	rm -rf $(BENCH_DIR)

bench-store:
	$(GO) test -run '^$$' -bench . -benchtime 2s -count 5 -timeout 40m ./mailbackend/store/

bench-smtp:
	$(GO) test -run '^$$' -bench MXReceive -benchtime 5000x -count 5 -timeout 20m ./mailbackend/smtpd/

bench-imap:
	$(GO) test -run '^$$' -bench 'IMAPMix$$' -benchtime 8000x -count 5 -timeout 20m ./mailbackend/imapd/
	$(GO) test -run '^$$' -bench IMAPIdleMemory -benchtime 1x -count 5 -timeout 20m ./mailbackend/imapd/
	$(GO) test -run '^$$' -bench IMAPLogin -benchtime 500x -count 5 -timeout 20m ./mailbackend/imapd/

## bench-web: inbox page, message view, search (INBOX, all folders) and conversations
## (grouped list, the list right after a message arrived, a conversation) through the real
## IMAP path, 100,000 messages (YUBIN_BENCH_MESSAGES=5000 for a quick run); p50/p99 over
## 200 requests, 3 runs on one filled mailbox. Then new mail on screen: SMTP 250 to the
## row in an open inbox in Chromium, 50 mails. The first load's weight is a test:
## go test ./web -run FirstPageWeight -v
bench-web:
	$(GO) test -run '^$$' -bench 'InboxPage|MessageView|SearchPage|SearchAllFolders|Conversation' -benchtime 200x -count 3 -timeout 60m ./web/
	$(GO) test -run '^$$' -bench NewMailOnScreen -benchtime 50x -count 3 -timeout 20m ./e2e/

## bench-abuse: hostile load (issue 10). Peak RSS of one 3,000-item BINARY FETCH of a
## 50 MiB message and of the review's 200-item FETCH (target 200 MiB or less), then the
## hostile inputs of the text paths (one mail each), which must stay linear. Then the
## login flood: 200 parallel unknown-user logins over IMAP and through the webmail
## against a child `yubin serve` (target: VmHWM 300 MiB or less, a real user's login
## within 2 s, p99 of 20).
bench-abuse:
	$(GO) test -run '^$$' -bench FetchFlood -benchtime 1x -count 5 -timeout 20m ./mailbackend/imapd/
	$(GO) test -run '^$$' -bench SearchHeaderFolded -benchtime 10x -count 5 ./mailbackend/imapd/
	$(GO) test -run '^$$' -bench 'LinkifyBrackets|HTMLToTextHostile' -benchtime 5x -count 5 ./web/mailview/
	$(GO) test -run '^$$' -bench DecodeHeaderStray -benchtime 5x -count 5 ./internal/mailformat/
	$(GO) test -run '^$$' -bench LoginFlood -benchtime 1x -count 3 -timeout 20m ./cmd/yubin/

clean:
	rm -rf bin yubin-data $(BENCH_DIR)

## bench-dovecot: the IMAP mix against a throwaway Dovecot and against yubin (root; installs dovecot-imapd)
.PHONY: bench-dovecot bench-imaptest
bench-dovecot:
	./scripts/bench-dovecot.sh

## bench-imaptest: Dovecot's own load generator against the same throwaway Dovecot and
## yubin, default mix and logout=0 (root; IMAPTEST=path to an imaptest binary, which is
## not part of this repository, MBOX=an mbox for it to APPEND from: README, Performance)
bench-imaptest:
	./scripts/bench-imaptest.sh
