# yubin-instance.sh: sourced by the imaptest scripts (bench-imaptest.sh,
# imaptest-compliance.sh) after dovecot-instance.sh. It builds yubin from this
# checkout into $T, adds the accounts and starts `yubin serve` with only an IMAP
# listener on 127.0.0.1:$YUBIN_PORT, its data under $T.
#
# In: T (from dovecot-instance.sh), YUBIN_PORT, YUBIN_USERS (addresses), YUBIN_PASS,
# GO, die(), cleanup() (from dovecot-instance.sh). Out: YUBIN_PID, YUBIN_VERSION, stop_yubin().
# It replaces the EXIT trap with one that stops yubin, then calls cleanup.
# shellcheck shell=bash

YUBIN_PID=
stop_yubin() {
	if [ -n "$YUBIN_PID" ]; then
		kill "$YUBIN_PID" 2>/dev/null || true
		wait "$YUBIN_PID" 2>/dev/null || true
	fi
	YUBIN_PID=
}
trap 'stop_yubin; cleanup' EXIT
echo "yubin-instance: building yubin" >&2
# The commit measured: taken at build time (the checkout may move during a long run).
YUBIN_VERSION=$(git describe --always --dirty 2>/dev/null || echo unknown)
"$GO" build -o "$T/yubin" ./cmd/yubin || die "go build failed"
cat >"$T/yubin.toml" <<TOML
hostname = "mail.example.test"
data_dir = "$T/yubin-data"
domains = ["example.test"]
[listen]
smtp = ""
submission = ""
submissions = ""
imap = "127.0.0.1:$YUBIN_PORT"
imaps = ""
pop3 = ""
pop3s = ""
managesieve = ""
http = ""
https = ""
metrics = ""
TOML
echo "yubin-instance: adding $(echo "$YUBIN_USERS" | wc -w) accounts to yubin" >&2
for u in $YUBIN_USERS; do
	printf '%s\n' "$YUBIN_PASS" | "$T/yubin" user add "$u" --password-stdin --config "$T/yubin.toml" >/dev/null ||
		die "yubin user add $u failed"
done
"$T/yubin" serve --config "$T/yubin.toml" >"$T/yubin.log" 2>&1 &
YUBIN_PID=$!
ready=no
for _ in $(seq 100); do
	greeting=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && IFS= read -r -t 2 l <&3 && printf %s "$l"' _ "$YUBIN_PORT" 2>/dev/null || true)
	case $greeting in "* OK"*) ready=yes; break ;; esac
	sleep 0.2
done
[ "$ready" = yes ] || { tail -20 "$T/yubin.log" >&2; die "yubin does not answer on 127.0.0.1:$YUBIN_PORT"; }
echo "yubin-instance: yubin $YUBIN_VERSION on 127.0.0.1:$YUBIN_PORT (pid $YUBIN_PID)" >&2
# Each account logs in once before any measurement, one at a time. yubin checks a
# password with argon2id through a bounded pool (mailbackend/auth: a slot per CPU, a
# short wait, then NO [UNAVAILABLE]) and remembers a verified login for 10 minutes,
# renewed by each login; Dovecot's throwaway instance keeps {PLAIN} passwords and
# hashes nothing. Without this, the first logins of 10 clients at once on a loaded
# 2-CPU machine are refused as busy, which imaptest counts as errors.
echo "yubin-instance: logging each account in once" >&2
for u in $YUBIN_USERS; do
	timeout 30 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		IFS= read -r l <&3
		printf "a LOGIN \"%s\" \"%s\"\r\n" "$2" "$3" >&3
		while IFS= read -r l <&3; do case $l in "a OK"*) printf "b LOGOUT\r\n" >&3; exit 0 ;; "a "*) echo "$l" >&2; exit 1 ;; esac; done
		exit 1' _ "$YUBIN_PORT" "$u" "$YUBIN_PASS" || die "the first login of $u failed"
done
