#!/usr/bin/env bash
# bench-imaptest.sh: Dovecot's own IMAP load generator, imaptest, against a throwaway
# Dovecot and against yubin on the same machine, in its default mix and with
# logout=0 (clients stay logged in: steady state, no LOGIN/LOGOUT churn), and the
# median commands/s of each. The other half of the comparison beside bench-dovecot.sh,
# whose driver is our own: a figure from our own driver alone could favour us.
#
# imaptest is not part of yubin and is not in this repository: build it from its
# public repository against Debian's dovecot-dev (README, "Performance") and pass its
# path. MBOX is the mbox it APPENDs messages from.
#
# Usage: sudo IMAPTEST=/path/to/imaptest MBOX=/path/to/file.mbox scripts/bench-imaptest.sh
# Env: SECS (default 30) per run, COUNT (default 3) runs of each, CLIENTS (default 10),
#      USERS (default 100: user1..userN@example.test), PORT (Dovecot, default 31143),
#      YUBIN_PORT (default 31144), MAIL_FORMAT (Dovecot's, default maildir), KEEP=1.
# It runs as root for the same reasons as bench-dovecot.sh (dovecot-instance.sh).
set -euo pipefail

SECS=${SECS:-30}
COUNT=${COUNT:-3}
CLIENTS=${CLIENTS:-10}
USERS=${USERS:-100}
PORT=${PORT:-31143}
YUBIN_PORT=${YUBIN_PORT:-31144}
MAIL_FORMAT=${MAIL_FORMAT:-maildir}
GO=${GO:-go}
PASS=benchpass

cd "$(dirname "$0")/.."
die() { echo "bench-imaptest: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (it installs and starts Dovecot)"
[ -x "${IMAPTEST:-}" ] || die "IMAPTEST must name an imaptest binary (see README, Performance)"
[ -s "${MBOX:-}" ] || die "MBOX must name an mbox file for imaptest to APPEND from"
case $MAIL_FORMAT in maildir | sdbox | mdbox) ;; *) die "MAIL_FORMAT must be maildir, sdbox or mdbox" ;; esac

names=""
for i in $(seq "$USERS"); do names="$names user$i@example.test"; done
DOVECOT_USERS=$names DOVECOT_PASS=$PASS DOVECOT_TAG=bench-imaptest
# shellcheck source=scripts/dovecot-instance.sh
. scripts/dovecot-instance.sh # (the cd above made the repository root the working directory)

# --- yubin ----------------------------------------------------------------------
YUBIN_USERS=$names YUBIN_PASS=$PASS
# shellcheck source=scripts/yubin-instance.sh
. scripts/yubin-instance.sh

# --- measure ----------------------------------------------------------------------
# imaptest prints a table of commands per second and, at the end, a "Totals:" header
# and row: the total of each command over the run. cmds/s is their sum over SECS.
# Runs alternate between the servers so that drifting background load falls on both.
run_imaptest() { # label, port, output file, then extra imaptest arguments
	local label=$1 port=$2 out=$3
	shift 3
	echo "bench-imaptest: $label $* run $i/$COUNT ($(date -u +%H:%M:%SZ))" >&2
	"$IMAPTEST" host=127.0.0.1 port="$port" user='user%d@example.test' users=1-"$USERS" pass="$PASS" \
		clients="$CLIENTS" mbox="$MBOX" secs="$SECS" "$@" >"$T/run.txt" 2>&1 || true
	# After "Totals:" come the command names, one or two rows of percentages, then
	# the counts: the first row of plain numbers.
	awk -v secs="$SECS" '/^Totals:/ { t = 1; next }
		t && $1 ~ /^[0-9]+$/ { n = 0; for (i = 1; i <= NF; i++) n += $i; printf "%.1f\n", n / secs; found = 1; exit }
		END { if (!found) exit 1 }' "$T/run.txt" >>"$out" || { tail -20 "$T/run.txt" >&2; die "$label: no totals from imaptest"; }
	# imaptest checks every reply (sequence numbers, flags, fetched bodies): a figure
	# from a server it found errors in is reported with their count and the first one.
	errors=$(grep -c '^Error:' "$T/run.txt" || true)
	echo "    $(tail -1 "$out") cmds/s, $errors imaptest errors $(grep -m1 '^Error:' "$T/run.txt" || true)" >&2
	echo "$errors" >>"${out%.txt}-errors.txt"
}
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR+1)/2]; else printf "%.1f\n", (v[NR/2] + v[NR/2+1]) / 2 }'; }

STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for i in $(seq "$COUNT"); do
	run_imaptest dovecot "$PORT" "$T/dovecot-default.txt"
	run_imaptest yubin "$YUBIN_PORT" "$T/yubin-default.txt"
	run_imaptest dovecot "$PORT" "$T/dovecot-logout0.txt" logout=0
	run_imaptest yubin "$YUBIN_PORT" "$T/yubin-logout0.txt" logout=0
done

echo
echo "imaptest, $CLIENTS clients over $USERS users, ${SECS}s runs, median of $COUNT"
echo "(runs alternated, $STARTED .. $(date -u +%H:%M:%SZ); Dovecot mail format $MAIL_FORMAT), commands/s:"
printf '  %-34s %12s %12s\n' "" "default mix" "logout=0"
printf '  %-34s %12s %12s\n' "Dovecot $VERSION" "$(median "$T/dovecot-default.txt")" "$(median "$T/dovecot-logout0.txt")"
printf '  %-34s %12s %12s\n' "yubin $YUBIN_VERSION" "$(median "$T/yubin-default.txt")" "$(median "$T/yubin-logout0.txt")"
echo "imaptest errors per run: Dovecot $(paste -sd, "$T/dovecot-default-errors.txt") / $(paste -sd, "$T/dovecot-logout0-errors.txt")," \
	"yubin $(paste -sd, "$T/yubin-default-errors.txt") / $(paste -sd, "$T/yubin-logout0-errors.txt")"
