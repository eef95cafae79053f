#!/usr/bin/env bash
# The project's mail test harness: a standalone Dovecot (IMAP, IMAPS, LMTP) plus an aiosmtpd relay
# (SMTP + STARTTLS + AUTH, SMTPS) that delivers into Dovecot over LMTP. Everything listens on 127.0.0.1 only.
#
#   bash tests/harness/harness.sh install   # apt-get install dovecot-imapd dovecot-lmtpd when missing
#   bash tests/harness/harness.sh start     # idempotent; writes $HARNESS_DIR/harness.env
#   bash tests/harness/harness.sh status    # exit 0 only if Dovecot and the relay both run
#   bash tests/harness/harness.sh wipe      # expunge every mailbox, delete all folders but INBOX
#   bash tests/harness/harness.sh adduser a@example.test   # password: harness-dynamic
#   bash tests/harness/harness.sh stop      # SIGTERM by pidfile (SIGKILL after 10 s)
#   bash tests/harness/harness.sh clean     # stop + rm -rf $HARNESS_DIR
#   bash tests/harness/harness.sh acquire ID   # a test session (ID: its PID) starts it if needed and registers
#   bash tests/harness/harness.sh release ID   # unregisters; the last live session stops what sessions started
#
# start, stop, acquire, release, restart-dovecot and clean hold one lock ($HARNESS_DIR/.lock), so a session
# stopping the harness never races another one starting or registering (parallel runs and pytest-xdist workers).
#
# Environment: HARNESS_DIR (default /tmp/cmbot-harness; must be short: unix socket paths < 107 bytes),
# HARNESS_PYTHON (a python with aiosmtpd; default: the project's .venv), HARNESS_USERS ("a@x:pw b@x:pw",
# read on the first start only), HARNESS_IMAP_PORT/IMAPS_PORT/LMTP_PORT/SMTP_PORT/SMTPS_PORT.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
HARNESS_DIR="${HARNESS_DIR:-/tmp/cmbot-harness}"
HARNESS_PYTHON="${HARNESS_PYTHON:-$ROOT/.venv/bin/python}"
IMAP_PORT="${HARNESS_IMAP_PORT:-10143}"
IMAPS_PORT="${HARNESS_IMAPS_PORT:-10993}"
LMTP_PORT="${HARNESS_LMTP_PORT:-10024}"
SMTP_PORT="${HARNESS_SMTP_PORT:-10025}"
SMTPS_PORT="${HARNESS_SMTPS_PORT:-10465}"
DEFAULT_USERS="bot@example.test:botpass supplier1@example.test:supplier1pass supplier2@example.test:supplier2pass"
HARNESS_USERS="${HARNESS_USERS:-$DEFAULT_USERS}"
DYNAMIC_PASSWORD="harness-dynamic"  # the password of users added with 'adduser' (see the passdb comment)

CONF="$HARNESS_DIR/dovecot.conf"
RUN="$HARNESS_DIR/run"
LOG="$HARNESS_DIR/log"
SSL="$HARNESS_DIR/ssl"
USERS="$HARNESS_DIR/users"
MAIL="$HARNESS_DIR/mail"
RELAY_PID="$RUN/relay.pid"
DOVECOT_PID="$RUN/master.pid"

log() { printf 'harness: %s\n' "$*" >&2; }

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        log "must run as root (Dovecot's master needs it); try sudo"
        exit 2
    fi
}

cmd_install() {
    if command -v dovecot >/dev/null 2>&1 && [ -x /usr/lib/dovecot/imap ] && [ -x /usr/lib/dovecot/lmtp ]; then
        return 0
    fi
    need_root
    local pkgs="dovecot-imapd dovecot-lmtpd"
    command -v openssl >/dev/null 2>&1 || pkgs="$pkgs openssl"
    # keep the package from starting the system Dovecot on 143/993
    local added_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        added_policy=1
    fi
    if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q
    fi
    # shellcheck disable=SC2086
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs
    fi
    [ "$added_policy" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
    log "installed: $pkgs"
}

pid_alive() {  # pidfile, expected command substring
    local f="$1" want="$2" pid
    [ -s "$f" ] || return 1
    pid="$(tr -d ' \n' <"$f")"
    [ -n "$pid" ] && running_pid "$pid" || return 1
    { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q -- "$want"
}

running_pid() {  # a process that runs: exists and is not a zombie (a daemon's parent, PID 1, may reap it late)
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state="$(sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" || return 1
    [ -n "$state" ] && [ "$state" != "Z" ]
}

find_daemon() {  # pattern on the full command line: the PID of the oldest match, if any
    pgrep -o -f -- "$1" 2>/dev/null || true
}

port_open() {
    { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
    exec 3>&- 3<&-
    return 0
}

wait_port() {  # port, seconds
    local deadline=$((SECONDS + $2))
    while ! port_open "$1"; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.02
    done
}

write_users() {
    [ -s "$USERS" ] && return 0
    : >"$USERS"
    local pair
    for pair in $HARNESS_USERS; do
        printf '%s:{PLAIN}%s::::::\n' "${pair%%:*}" "${pair#*:}" >>"$USERS"
    done
    chmod 644 "$USERS"
}

write_certs() {
    [ -s "$SSL/cert.pem" ] && return 0
    mkdir -p "$SSL"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
        -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$SSL/key.pem" -out "$SSL/cert.pem" >/dev/null 2>&1
    openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$SSL/dh.pem" >/dev/null 2>&1
    chmod 644 "$SSL/cert.pem" "$SSL/dh.pem"
    chmod 600 "$SSL/key.pem"
}

write_config() {
    local uid
    uid="$(id -u vmail)"
    cat >"$CONF.new" <<EOF
# generated by tests/harness/harness.sh; standalone, nothing from /etc/dovecot
base_dir = $RUN
state_dir = $HARNESS_DIR/state
log_path = $LOG/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = $uid
last_valid_uid = $uid
ssl = yes
ssl_cert = <$SSL/cert.pem
ssl_key = <$SSL/key.pem
ssl_dh = <$SSL/dh.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
# passwd-file is re-read at most once a second, so users added at runtime (tests) log in through the static
# passdb with the shared dynamic password, and the static userdb knows every user (the relay checks recipients).
passdb {
  driver = passwd-file
  args = $USERS
}
passdb {
  driver = static
  args = password=$DYNAMIC_PASSWORD
}
userdb {
  driver = static
  args = uid=vmail gid=vmail home=$MAIL/%d/%n allow_all_users=yes
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
protocol imap {
  mail_max_userip_connections = 200
}
service imap-login {
  inet_listener imap {
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = $IMAPS_PORT
    ssl = yes
  }
  process_min_avail = 1
}
service imap {
  process_limit = 512
}
service lmtp {
  inet_listener lmtp {
    port = $LMTP_PORT
  }
}
EOF
    if [ -f "$CONF" ] && cmp -s "$CONF" "$CONF.new"; then
        rm -f "$CONF.new"
        return 1  # unchanged
    fi
    mv "$CONF.new" "$CONF"
    return 0
}

write_env() {
    cat >"$HARNESS_DIR/harness.env" <<EOF
HARNESS_DIR=$HARNESS_DIR
HARNESS_IMAP_PORT=$IMAP_PORT
HARNESS_IMAPS_PORT=$IMAPS_PORT
HARNESS_LMTP_PORT=$LMTP_PORT
HARNESS_SMTP_PORT=$SMTP_PORT
HARNESS_SMTPS_PORT=$SMTPS_PORT
HARNESS_CA=$SSL/cert.pem
HARNESS_USERS_FILE=$USERS
HARNESS_JOURNAL=$LOG/smtp-journal.jsonl
HARNESS_DOVECOT_CONF=$CONF
HARNESS_DYNAMIC_PASSWORD=$DYNAMIC_PASSWORD
EOF
}

start_dovecot() {
    local changed=0
    write_config && changed=1
    if pid_alive "$DOVECOT_PID" dovecot; then
        if [ "$changed" -eq 1 ]; then
            kill -HUP "$(cat "$DOVECOT_PID")"
            log "dovecot config changed: reloaded"
        fi
        return 0
    fi
    local running
    running="$(find_daemon "^(/usr/sbin/)?dovecot -c $CONF\$")"
    if [ -n "$running" ]; then  # our master runs but its pidfile was lost: adopt it
        echo "$running" >"$DOVECOT_PID"
        log "adopted the running dovecot ($running)"
        [ "$changed" -eq 1 ] && kill -HUP "$running"
        return 0
    fi
    rm -f "$DOVECOT_PID"
    if ! dovecot -c "$CONF" </dev/null >>"$LOG/dovecot.stderr" 2>&1 9>&-; then  # the daemon must not keep the lock
        log "dovecot did not start; see $LOG/dovecot.log"
        tail -n 5 "$LOG/dovecot.stderr" >&2 || true
        return 1
    fi
    if ! wait_port "$IMAP_PORT" 10 || ! wait_port "$LMTP_PORT" 10; then
        log "dovecot did not come up; see $LOG/dovecot.log"
        tail -n 20 "$LOG/dovecot.log" "$LOG/dovecot.stderr" >&2 || true
        return 1
    fi
}

start_relay() {
    pid_alive "$RELAY_PID" smtp_relay.py && return 0
    local running
    running="$(find_daemon "smtp_relay.py .*--users $USERS ")"
    if [ -n "$running" ]; then  # our relay runs but its pidfile was lost: adopt it
        echo "$running" >"$RELAY_PID"
        log "adopted the running smtp relay ($running)"
        return 0
    fi
    rm -f "$RELAY_PID"
    if port_open "$SMTP_PORT"; then
        log "port $SMTP_PORT is taken by something else"
        return 1
    fi
    nohup "$HARNESS_PYTHON" "$HERE/smtp_relay.py" --host 127.0.0.1 --port "$SMTP_PORT" --tls-port "$SMTPS_PORT" \
        --lmtp-port "$LMTP_PORT" --users "$USERS" --cert "$SSL/cert.pem" --key "$SSL/key.pem" \
        --journal "$LOG/smtp-journal.jsonl" </dev/null >>"$LOG/relay.log" 2>&1 9>&- &
    echo $! >"$RELAY_PID"
    if ! wait_port "$SMTP_PORT" 15 || ! wait_port "$SMTPS_PORT" 5; then
        log "smtp relay did not come up; see $LOG/relay.log"
        tail -n 20 "$LOG/relay.log" >&2 || true
        return 1
    fi
}

lock() {  # the harness's one lock on fd 9 (daemons are started with 9>&- so they never hold it)
    mkdir -p "$HARNESS_DIR"
    exec 9>"$HARNESS_DIR/.lock"
    flock 9
}

unlock() {
    flock -u 9
    exec 9>&-
}

start_locked() {
    need_root
    if ! command -v dovecot >/dev/null 2>&1; then
        log "dovecot is not installed: run '$0 install' first"
        exit 2
    fi
    local len=$(( ${#RUN} + 26 ))
    if [ "$len" -gt 100 ]; then
        log "HARNESS_DIR too long for Dovecot's unix sockets: $HARNESS_DIR"
        exit 2
    fi
    id vmail >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin vmail
    mkdir -p "$HARNESS_DIR" "$RUN" "$LOG" "$HARNESS_DIR/state" "$MAIL"
    chmod 755 "$HARNESS_DIR"
    chown vmail:vmail "$MAIL"
    write_users
    write_certs
    start_dovecot
    start_relay
    write_env
    printf 'dovecot pid %s, relay pid %s, env %s\n' "$(cat "$DOVECOT_PID")" "$(cat "$RELAY_PID")" \
        "$HARNESS_DIR/harness.env"
}

cmd_start() {
    lock
    start_locked
    unlock
}

running() {
    pid_alive "$DOVECOT_PID" dovecot && pid_alive "$RELAY_PID" smtp_relay.py
}

live_clients() {  # registered test sessions whose process still runs; removes the others' entries
    local entry pid n=0
    mkdir -p "$HARNESS_DIR/clients"
    for entry in "$HARNESS_DIR"/clients/*; do
        [ -e "$entry" ] || continue
        pid="${entry##*/}"
        if [[ "$pid" =~ ^[0-9]+$ ]] && running_pid "$pid"; then
            n=$((n + 1))
        else
            rm -f "$entry"
        fi
    done
    echo "$n"
}

cmd_acquire() {  # client id (a PID): start when needed, then register, in one locked step
    local id="$1"
    lock
    if ! running; then
        start_locked >/dev/null
        touch "$HARNESS_DIR/started-by-tests"  # so the last session out stops it (one started by hand stays)
    fi
    mkdir -p "$HARNESS_DIR/clients"
    touch "$HARNESS_DIR/clients/$id"
    unlock
}

cmd_release() {  # client id: unregister; the last live client stops a harness that test sessions started
    local id="$1"
    lock
    rm -f "$HARNESS_DIR/clients/$id"
    if [ -e "$HARNESS_DIR/started-by-tests" ] && [ "$(live_clients)" -eq 0 ]; then
        stop_locked
        rm -f "$HARNESS_DIR/started-by-tests"
    fi
    unlock
}

cmd_status() {
    local rc=0
    if pid_alive "$DOVECOT_PID" dovecot; then echo "dovecot: running ($(cat "$DOVECOT_PID"))"; else
        echo "dovecot: stopped"; rc=1; fi
    if pid_alive "$RELAY_PID" smtp_relay.py; then echo "relay: running ($(cat "$RELAY_PID"))"; else
        echo "relay: stopped"; rc=1; fi
    return $rc
}

stop_pid() {  # pidfile, expected command substring
    local f="$1" want="$2" pid i
    if ! pid_alive "$f" "$want"; then
        rm -f "$f"
        return 0
    fi
    pid="$(tr -d ' \n' <"$f")"
    # Dovecot's master can exit before its children (an IMAP session in IDLE survives it), so remember them
    local children
    children="$(grep -l "^PPid:[[:space:]]*${pid}\$" /proc/[0-9]*/status 2>/dev/null | cut -d/ -f3 | tr '\n' ' ' || true)"
    kill -TERM "$pid" 2>/dev/null || true
    stop_children "$children" &  # in parallel with the master's own shutdown
    local reaper=$!
    for i in $(seq 1 200); do
        running_pid "$pid" || break
        sleep 0.05
    done
    if running_pid "$pid"; then
        log "$want ($pid) ignored SIGTERM: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$reaper" 2>/dev/null || true
    rm -f "$f"
}

stop_children() {  # "pid pid ...": the former children of a stopped master, checked to be dovecot processes
    local child alive=""
    for child in $1; do
        if { tr '\0' ' ' <"/proc/$child/cmdline"; } 2>/dev/null | grep -q '^dovecot/'; then
            kill -TERM "$child" 2>/dev/null && alive="$alive $child"
        fi
    done
    [ -n "$alive" ] || return 0
    for i in $(seq 1 40); do
        local left=""
        for child in $alive; do running_pid "$child" && left="$left $child"; done
        [ -n "$left" ] || return 0
        sleep 0.05
    done
    for child in $alive; do kill -KILL "$child" 2>/dev/null || true; done
}

stop_locked() {
    stop_pid "$RELAY_PID" smtp_relay.py
    stop_pid "$DOVECOT_PID" dovecot
}

cmd_stop() {
    [ -d "$HARNESS_DIR" ] || return 0
    lock
    stop_locked
    rm -f "$HARNESS_DIR/started-by-tests"
    unlock
}

cmd_wipe() {
    pid_alive "$DOVECOT_PID" dovecot || { log "not running"; return 1; }
    local user box
    while IFS=: read -r user _; do  # per user: the static userdb cannot list users for -A
        [ -n "$user" ] || continue
        doveadm -c "$CONF" expunge -u "$user" mailbox '*' all >/dev/null 2>&1 || true
        doveadm -c "$CONF" mailbox list -u "$user" 2>/dev/null | while read -r box; do
            [ "$box" = "INBOX" ] || doveadm -c "$CONF" mailbox delete -u "$user" -r -s "$box" >/dev/null 2>&1 || true
        done
    done <"$USERS"
}

cmd_adduser() {  # address [password]; Dovecot accepts the dynamic password at once, its own after ~1 s
    local addr="$1" pw="${2:-$DYNAMIC_PASSWORD}"
    mkdir -p "$HARNESS_DIR"
    exec 8>"$HARNESS_DIR/.users.lock"
    flock 8
    if ! grep -q "^${addr}:" "$USERS" 2>/dev/null; then
        printf '%s:{PLAIN}%s::::::\n' "$addr" "$pw" >>"$USERS"
    fi
    flock -u 8
}

cmd_clean() {
    [ -d "$HARNESS_DIR" ] || return 0
    lock
    stop_locked
    rm -rf "$HARNESS_DIR"
    unlock
}

cmd_restart_dovecot() {
    need_root
    lock
    stop_pid "$DOVECOT_PID" dovecot
    start_dovecot
    unlock
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    wipe) cmd_wipe ;;
    adduser) shift; cmd_adduser "$@" ;;
    clean) cmd_clean ;;
    acquire) shift; cmd_acquire "$1" ;;
    release) shift; cmd_release "$1" ;;
    restart-dovecot) cmd_restart_dovecot ;;
    *) echo "usage: $0 install|start|stop|status|wipe|adduser ADDR [PW]|acquire ID|release ID|restart-dovecot|clean" >&2
       exit 2 ;;
esac
