# dovecot-instance.sh: sourced by the Dovecot benchmarks (bench-dovecot.sh,
# bench-imaptest.sh). It installs dovecot-imapd if missing and starts a private
# Dovecot instance: its own -c config, base_dir, state_dir and mail under a temp dir
# $T, listening on 127.0.0.1:$PORT only, plaintext login allowed, fsync settings at
# Dovecot's defaults. It never reads or changes /etc/dovecot and never starts or stops
# the system Dovecot service; on exit it stops its instance and removes $T.
#
# In: PORT, MAIL_FORMAT (maildir, sdbox or mdbox), DOVECOT_USERS (names, one passwd
# entry each), DOVECOT_PASS, DOVECOT_TAG (message prefix), die(), KEEP=1 keeps $T.
# Out: T, VERSION, DOVECOT_PID, stop_dovecot().
# shellcheck shell=bash

# --- install -----------------------------------------------------------------
master_running() { # is the system Dovecot master (default pid file) alive?
	[ -s /run/dovecot/master.pid ] && kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null
}
if ! command -v dovecot >/dev/null || [ ! -x /usr/lib/dovecot/imap ]; then
	was_running=no
	master_running && was_running=yes
	echo "$DOVECOT_TAG: installing dovecot-imapd" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends dovecot-imapd >/dev/null ||
		{ apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends dovecot-imapd >/dev/null; } ||
		die "apt-get install dovecot-imapd failed"
	# The package's postinst may start the system service (on 143/993 with the
	# system config). We want only our own instance: stop what the install started.
	if [ "$was_running" = no ] && master_running; then
		echo "$DOVECOT_TAG: stopping the Dovecot the package started (pid $(cat /run/dovecot/master.pid))" >&2
		kill "$(cat /run/dovecot/master.pid)" || true
	fi
fi
VERSION=$(dovecot --version)

# Refuse to use a port someone else is listening on (it would not be our server).
if timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$PORT" 2>/dev/null; then
	die "127.0.0.1:$PORT is already in use"
fi

# --- throwaway instance --------------------------------------------------------
T=$(mktemp -d /tmp/yubin-dovecot.XXXXXX)
DOVECOT_PID=
stop_dovecot() {
	if [ -n "$DOVECOT_PID" ] && kill -0 "$DOVECOT_PID" 2>/dev/null; then
		kill "$DOVECOT_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$DOVECOT_PID" 2>/dev/null || break; sleep 0.2; done
		kill -0 "$DOVECOT_PID" 2>/dev/null && kill -KILL "$DOVECOT_PID" 2>/dev/null || true
	fi
	DOVECOT_PID=
}
cleanup() {
	stop_dovecot
	if [ "${KEEP:-}" = 1 ]; then echo "$DOVECOT_TAG: kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The mail processes run as nobody: every directory on the way must be traversable.
chmod 755 "$T"
mkdir -p "$T/run" "$T/state" "$T/mail" "$T/home"
chown nobody:nogroup "$T/mail" "$T/home"
MAIL_UID=$(id -u nobody)
MAIL_GID=$(getent group nogroup | cut -d: -f3)
: >"$T/passwd"
for u in $DOVECOT_USERS; do
	mkdir -p "$T/home/$u" && chown nobody:nogroup "$T/home/$u"
	printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$u" "$DOVECOT_PASS" "$MAIL_UID" "$MAIL_GID" "$T/home/$u" >>"$T/passwd"
done
chmod 644 "$T/passwd"

cat >"$T/dovecot.conf" <<EOF
# Throwaway instance for scripts/bench-dovecot.sh; nothing here is read from /etc/dovecot.
instance_name = yubin-bench
base_dir = $T/run
state_dir = $T/state
protocols = imap
listen = 127.0.0.1
log_path = $T/dovecot.log
info_log_path = $T/dovecot.log

ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login

# nobody (65534) is above the default first_valid_uid of 500.
mail_location = $MAIL_FORMAT:$T/mail/%u
# mail_fsync, fsync_disable and the other durability settings stay at their defaults.

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $T/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $T/passwd
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    port = 0
  }
}
protocol imap {
  # 10 load clients plus the setup connection, whose slot anvil may not have
  # released yet when the tenth client logs in.
  mail_max_userip_connections = 50
}
service imap {
  # imaptest's clients log in and out many times a second.
  process_limit = 1024
}
EOF

doveconf -c "$T/dovecot.conf" -n >/dev/null || die "config rejected; see $T/dovecot.conf"
dovecot -c "$T/dovecot.conf" || die "dovecot did not start; see $T/dovecot.log"
for _ in $(seq 50); do [ -s "$T/run/master.pid" ] && break; sleep 0.1; done
DOVECOT_PID=$(cat "$T/run/master.pid" 2>/dev/null) || die "no master.pid; see $T/dovecot.log"

# Wait for the greeting.
ready=no
for _ in $(seq 100); do
	greeting=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && IFS= read -r -t 2 l <&3 && printf %s "$l"' _ "$PORT" 2>/dev/null || true)
	case $greeting in "* OK"*) ready=yes; break ;; esac
	sleep 0.1
done
[ "$ready" = yes ] || { tail -20 "$T/dovecot.log" >&2; die "Dovecot does not answer on 127.0.0.1:$PORT"; }
echo "$DOVECOT_TAG: Dovecot $VERSION on 127.0.0.1:$PORT (pid $DOVECOT_PID, dir $T)" >&2
