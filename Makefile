# yubin — the two front-door commands are `make run` and `make test`.
GO       ?= go
BIN      := bin/yubin
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)
PKGS     := ./...

.PHONY: all build run test check generate generate-check bench bench-store bench-smtp bench-imap bench-web clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/yubin

## run: build and start `yubin serve --dev` (loopback ports, demo@localhost / demo)
run: build
	./$(BIN) serve --dev

## test: formatting, vet, generated files current, then every test
test: check generate-check
	$(GO) test -count=1 -timeout 20m $(PKGS)

check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

generate:
	$(GO) tool templ generate -path templates

## generate-check: the committed *_templ.go files must match the .templ sources
generate-check:
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	cp -r templates $$tmp/templates; \
	$(GO) tool templ generate -path $$tmp/templates >/dev/null 2>&1 || { echo "templ generate failed"; exit 1; }; \
	if ! diff -r -q templates $$tmp/templates >/dev/null; then \
		diff -r templates $$tmp/templates | head -20; \
		echo "generated templ files are stale: run make generate"; exit 1; fi

## bench: every benchmark, 5 runs each (report medians; the machine is noisy)
bench:
	$(GO) test -run '^$$' -bench . -benchtime 2s -count 5 -timeout 60m $(PKGS)

bench-store:
	$(GO) test -run '^$$' -bench . -count 5 -timeout 30m ./mailbackend/store/

bench-smtp:
	$(GO) test -run '^$$' -bench MXReceive -benchtime 5s -count 5 ./mailbackend/smtpd/

bench-imap:
	$(GO) test -run '^$$' -bench IMAP -benchtime 5s -count 5 ./mailbackend/imapd/

bench-web:
	$(GO) test -run '^$$' -bench . -count 5 -timeout 30m ./web/...

clean:
	rm -rf bin yubin-data

## bench-dovecot: the IMAP mix against a throwaway Dovecot and against yubin (root; installs dovecot-imapd)
.PHONY: bench-dovecot
bench-dovecot:
	./scripts/bench-dovecot.sh
