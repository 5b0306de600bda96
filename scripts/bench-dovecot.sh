#!/usr/bin/env bash
# bench-dovecot.sh: the issue's IMAP load mix (BenchmarkIMAPMix in
# mailbackend/imapd/bench_test.go) against a throwaway Dovecot and against yubin,
# on the same machine with the same driver, and the median ops/s of each.
#
# It runs as root: it installs dovecot-imapd with apt-get if missing and starts a
# private Dovecot instance (its own -c config, base_dir, state_dir and maildir under
# a temp dir, listening on 127.0.0.1:31143 only, plaintext login allowed, fsync
# settings at Dovecot's defaults). It never reads or changes /etc/dovecot and never
# starts or stops the system Dovecot service; on exit it stops its instance and
# removes the temp dir.
#
# Usage: sudo scripts/bench-dovecot.sh      (make bench-dovecot)
# Env: BENCHTIME (default 8000x), COUNT (default 5), PORT (default 31143),
#      MAIL_FORMAT (default maildir; sdbox or mdbox to compare Dovecot's own formats),
#      KEEP=1 keeps the temp dir (config, maildir, dovecot.log) for inspection,
#      IMAPD_BENCH_LAT=1 prints the mean latency of each command of the mix.
set -euo pipefail

BENCHTIME=${BENCHTIME:-8000x}
COUNT=${COUNT:-5}
PORT=${PORT:-31143}
GO=${GO:-go}
MAIL_FORMAT=${MAIL_FORMAT:-maildir}
BENCH_USER=bench
BENCH_PASS=benchpass

cd "$(dirname "$0")/.."
case $MAIL_FORMAT in maildir | sdbox | mdbox) ;; *) echo "bench-dovecot: MAIL_FORMAT must be maildir, sdbox or mdbox" >&2; exit 2 ;; esac

die() { echo "bench-dovecot: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (it installs and starts Dovecot)"

# --- the throwaway Dovecot ------------------------------------------------------
DOVECOT_USERS=$BENCH_USER DOVECOT_PASS=$BENCH_PASS DOVECOT_TAG=bench-dovecot
# shellcheck source=scripts/dovecot-instance.sh
. scripts/dovecot-instance.sh # (the cd above made the repository root the working directory)

# --- measure -----------------------------------------------------------------
# One test binary for both servers. The runs alternate (Dovecot, yubin, Dovecot, ...)
# rather than five of one then five of the other: on a shared machine the background
# load drifts over minutes, and alternating spreads it over both sides alike.
# Each run is what `go test ./mailbackend/imapd -run '^$' -bench IMAPMix
# -benchtime $BENCHTIME` does, with or without the YUBIN_BENCH_IMAP_* variables.
echo "bench-dovecot: building the imapd test binary" >&2
"$GO" test -c -o "$T/imapd.test" ./mailbackend/imapd || die "go test -c failed"
PKGDIR=$PWD/mailbackend/imapd

# median ops/s of the BenchmarkIMAPMix lines in a test output file.
median() {
	awk '/^BenchmarkIMAPMix(-[0-9]+)?[ \t]/ { for (i = 2; i < NF; i++) if ($(i+1) == "ops/s") print $i }' "$1" |
		sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit }
			if (NR % 2) print v[(NR+1)/2]; else printf "%.1f\n", (v[NR/2] + v[NR/2+1]) / 2 }'
}
run_bench() { # label, output file, then env arguments for the test binary
	local label=$1 out=$2
	shift 2
	echo "bench-dovecot: $label run $i/$COUNT ($(date -u +%H:%M:%SZ))" >&2
	(cd "$PKGDIR" && env "$@" "$T/imapd.test" -test.run '^$' -test.bench '^BenchmarkIMAPMix$' \
		-test.benchtime "$BENCHTIME" -test.count 1 -test.timeout 30m) | tee -a "$out" | grep -E '^Benchmark|bench_test.go' >&2 ||
		die "$label benchmark failed; see $out"
}

# Dovecot's CPU time in clock ticks: its master's own plus that of its reaped
# children (cutime, cstime), which include every imap and imap-login process of a
# finished run. (The long-lived auth, anvil, log and stats processes are left out.)
dovecot_ticks() {
	awk '{ print $14 + $15 + $16 + $17 }' "/proc/$DOVECOT_PID/stat"
}
TICK=$(getconf CLK_TCK)
ITERS=${BENCHTIME%x}

STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for i in $(seq "$COUNT"); do
	t0=$(dovecot_ticks)
	run_bench dovecot "$T/dovecot.txt" \
		YUBIN_BENCH_IMAP_ADDR="127.0.0.1:$PORT" YUBIN_BENCH_IMAP_USER="$BENCH_USER" YUBIN_BENCH_IMAP_PASS="$BENCH_PASS"
	sleep 1 # until the master has reaped the imap processes of the run
	if [ "$ITERS" != "$BENCHTIME" ] && [ "$i" -gt 1 ]; then
		# Not the first run, whose setup appends the 1,000 fixtures. The few setup
		# and cleanup commands of a run are counted, so this is a slight overestimate.
		awk -v d=$(($(dovecot_ticks) - t0)) -v hz="$TICK" -v n="$ITERS" \
			'BEGIN { printf "    dovecot processes: %.1f cpu-µs/op\n", d / hz * 1e6 / n }' | tee -a "$T/dovecot-cpu.txt" >&2
	fi
	# env -u: an outer YUBIN_BENCH_IMAP_* must not redirect the yubin run.
	run_bench yubin "$T/yubin.txt" -u YUBIN_BENCH_IMAP_ADDR -u YUBIN_BENCH_IMAP_USER -u YUBIN_BENCH_IMAP_PASS
done
grep -q '^PASS' "$T/dovecot.txt" && grep -q '^PASS' "$T/yubin.txt" || die "a benchmark run failed"

echo
echo "IMAP mix, 10 clients, 1,000 messages, -benchtime $BENCHTIME, median of $COUNT"
echo "(runs alternated, $STARTED .. $(date -u +%H:%M:%SZ); Dovecot mail format $MAIL_FORMAT):"
printf '  %-32s %10s ops/s\n' "Dovecot $VERSION" "$(median "$T/dovecot.txt")" "yubin $(git describe --always --dirty 2>/dev/null || echo)" "$(median "$T/yubin.txt")"
if [ -s "$T/dovecot-cpu.txt" ]; then
	# CPU per operation is steadier than ops/s when other work shares the machine.
	echo "CPU per operation (median): Dovecot processes $(awk '{ print $3 }' "$T/dovecot-cpu.txt" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR+1)/2)] }') µs" \
		"plus its driver $(awk '/^BenchmarkIMAPMix/ { for (i = 2; i < NF; i++) if ($(i+1) == "driver-cpu-µs/op") print $i }' "$T/dovecot.txt" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR+1)/2)] }') µs;" \
		"yubin with its driver (one process) $(awk '/^BenchmarkIMAPMix/ { for (i = 2; i < NF; i++) if ($(i+1) == "cpu-µs/op") print $i }' "$T/yubin.txt" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR+1)/2)] }') µs"
fi
