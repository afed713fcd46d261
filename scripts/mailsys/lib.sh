# shellcheck shell=bash
# Settings shared by the ticket-gateway mail system scripts (up, down, send, mailbox,
# vacation, selftest). Sourced, not executed. Every value can be overridden from the
# environment; use the same TG_MAIL_* variables for every command of one instance.

TG_MAIL_DIR="${TG_MAIL_DIR:-/tmp/tg-mail}"                       # all state: configs, CA, mail, queue, logs
TG_MAIL_HOST="127.0.0.1"                                          # every listener binds here only
TG_MAIL_IMAPS_PORT="${TG_MAIL_IMAPS_PORT:-12993}"                 # IMAP, implicit TLS
TG_MAIL_IMAP_PORT="${TG_MAIL_IMAP_PORT:-12143}"                   # IMAP, STARTTLS required before LOGIN
TG_MAIL_IMAP_PLAIN_PORT="${TG_MAIL_IMAP_PLAIN_PORT:-12144}"       # IMAP, no TLS (debugging only)
TG_MAIL_SMTP_PORT="${TG_MAIL_SMTP_PORT:-12025}"                   # SMTP, no AUTH, STARTTLS offered
TG_MAIL_SUBMISSION_PORT="${TG_MAIL_SUBMISSION_PORT:-12587}"       # submission, STARTTLS + AUTH required
TG_MAIL_PASSWORD="${TG_MAIL_PASSWORD:-secret}"                    # password of every user
# Test domains: ANY local part in them is a mailbox (created on first delivery or login).
TG_MAIL_DOMAINS="${TG_MAIL_DOMAINS:-gateway.test customer.test evil.test}"
# Local part that is accepted in every test domain and then bounced with a DSN
# (also with +tag: bounce-me+x@customer.test).
TG_MAIL_BOUNCE_LOCALPART="${TG_MAIL_BOUNCE_LOCALPART:-bounce-me}"
# Existing system account that owns the mail files (no account is created).
TG_MAIL_MAIL_USER="${TG_MAIL_MAIL_USER:-mail}"
TG_MAIL_MAIL_GROUP="${TG_MAIL_MAIL_GROUP:-mail}"
# OAuth2 mode (scripts/oauth2 runs the token service): off (default) | on (passwords and
# XOAUTH2/OAUTHBEARER) | only (XOAUTH2/OAUTHBEARER only, every password refused).
TG_MAIL_OAUTH2="${TG_MAIL_OAUTH2:-off}"

TG_TLS="$TG_MAIL_DIR/tls"
TG_CA="$TG_TLS/ca.crt"
TG_DOVECOT_CONF="$TG_MAIL_DIR/dovecot/dovecot.conf"
TG_DOVECOT_RUN="$TG_MAIL_DIR/run/dovecot"
TG_POSTFIX_CONF="$TG_MAIL_DIR/postfix/etc"
TG_POSTFIX_PID="$TG_MAIL_DIR/postfix/spool/pid/master.pid"
TG_LOG="$TG_MAIL_DIR/log"

tg_die() { echo "tg-mail: error: $*" >&2; exit 1; }
tg_log() { echo "tg-mail: $*" >&2; }

# Is DOMAIN (case-insensitive) one of the test domains?
tg_is_test_domain() {
    local d want="${1,,}"
    for d in $TG_MAIL_DOMAINS; do [[ "${d,,}" == "$want" ]] && return 0; done
    return 1
}

# Pid of the running Dovecot master of this instance (nothing if it is not running).
tg_dovecot_pid() {
    local pid
    [[ -f "$TG_DOVECOT_RUN/master.pid" ]] || return 1
    pid="$(cat "$TG_DOVECOT_RUN/master.pid" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == dovecot ]] && echo "$pid"
}

# Postfix master of this instance (its pid file lives in our private queue directory).
tg_postfix_pid() {
    local pid
    [[ -f "$TG_POSTFIX_PID" ]] || return 1
    pid="$(awk '{print $1; exit}' "$TG_POSTFIX_PID" 2>/dev/null)" || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == master ]] && echo "$pid"
}

tg_dovecot_running() { tg_dovecot_pid >/dev/null; }
tg_postfix_running() { tg_postfix_pid >/dev/null; }

# Pigeonhole Sieve (Debian package dovecot-sieve) present?
tg_sieve_installed() { [[ -e /usr/lib/dovecot/modules/lib90_sieve_plugin.so ]]; }
