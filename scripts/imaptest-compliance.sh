#!/usr/bin/env bash
# imaptest-compliance.sh: Dovecot's imaptest scripted suite (its src/tests directory,
# 71 groups in the 2022 tree) against a throwaway Dovecot and against yubin built from
# this checkout, one after the other, and the summary of each: how many groups failed,
# which, and how many were skipped for a capability the server lacks. The full
# output of each run is kept in OUT (default /tmp/imaptest-compliance).
#
# imaptest is not part of yubin: build it from its public repository against Debian's
# dovecot-dev (README, "Performance"; /work/shared/tools/build-imaptest.sh does it).
#
# Usage: sudo IMAPTEST=/path/to/src/imaptest scripts/imaptest-compliance.sh
# Env: TESTS (default: the tests directory beside IMAPTEST), PORT (Dovecot, default
#      31145), YUBIN_PORT (default 31146), ONLY=yubin|dovecot, OUT, KEEP=1.
# It runs as root for the same reasons as bench-dovecot.sh (dovecot-instance.sh).
set -euo pipefail

PORT=${PORT:-31145}
YUBIN_PORT=${YUBIN_PORT:-31146}
MAIL_FORMAT=${MAIL_FORMAT:-maildir}
GO=${GO:-go}
OUT=${OUT:-/tmp/imaptest-compliance}
USER_NAME=compliance@example.test
PASS=compliancepass

cd "$(dirname "$0")/.."
die() { echo "imaptest-compliance: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (it installs and starts Dovecot)"
[ -x "${IMAPTEST:-}" ] || die "IMAPTEST must name an imaptest binary (see README, Performance)"
TESTS=${TESTS:-$(dirname "$IMAPTEST")/tests}
[ -d "$TESTS" ] || die "no scripted tests in $TESTS (set TESTS)"
mkdir -p "$OUT"

DOVECOT_USERS=$USER_NAME DOVECOT_PASS=$PASS DOVECOT_TAG=imaptest-compliance
# shellcheck source=scripts/dovecot-instance.sh
. scripts/dovecot-instance.sh
YUBIN_USERS=$USER_NAME YUBIN_PASS=$PASS
# shellcheck source=scripts/yubin-instance.sh
. scripts/yubin-instance.sh

# imaptest prints, per failing command, a "*** Test NAME command N/M (line L)" block
# with what it expected and what came, and at the end one line per outcome:
# "N test groups: F failed, S skipped due to missing capabilities" and the counts of
# individual commands, base protocol and extensions apart.
run_suite() { # label, port
	local label=$1 port=$2 out="$OUT/$1.txt"
	echo "imaptest-compliance: $label ($(date -u +%H:%M:%SZ)), output in $out" >&2
	timeout 600 "$IMAPTEST" host=127.0.0.1 port="$port" user="$USER_NAME" pass="$PASS" test="$TESTS" >"$out" 2>&1 || true
	echo "== $label"
	grep -E 'test groups:|individual commands' "$out" | sed 's/^/  /'
	failed=$(grep -oE '^\*\*\* Test [^ ]+' "$out" | awk '{ print $3 }' | sort -u | paste -sd' ' || true)
	echo "  failed groups: ${failed:-none}"
}
case ${ONLY:-} in
dovecot) run_suite dovecot "$PORT" ;;
yubin) run_suite yubin "$YUBIN_PORT" ;;
*) run_suite dovecot "$PORT"; run_suite yubin "$YUBIN_PORT" ;;
esac
