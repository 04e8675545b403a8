# shellcheck shell=sh disable=SC2034,SC2016
# (the variables are for the scripts that source this file)
#
# Shared by the lapor-* operations scripts: Redis connection options like
# redis-cli's, the namespace option, exit codes, reading replies.  Sourced,
# not run.  POSIX shell, redis-cli and awk only.
#
# Exit codes of every script:
#   0  done (for lapor-doctor: no FAIL)
#   1  a problem found: a report not found, a check that failed
#   2  bad arguments (usage)
#   3  Redis cannot be used: unreachable, login refused, a command refused
#      by the ACL, a timeout
#   4  the namespace is unknown (it has no lapor:{NS}:seq:report)
#   5  anything else: unreadable data, a key file that is wrong, an
#      identity that does not open, a tool missing
#
# A script sets LAPOR_PROG and LAPOR_DEFAULT_USER, sources this file, and
# hands every option it does not know itself to lapor_common_opt, which
# sets LAPOR_SHIFT to the number of arguments it used.

LAPOR_HOST=${LAPOR_REDIS_HOST:-127.0.0.1}
LAPOR_PORT=${LAPOR_REDIS_PORT:-6380}
LAPOR_USER=${LAPOR_REDIS_USER:-${LAPOR_DEFAULT_USER:-reader}}
LAPOR_NS=${LAPOR_NAMESPACE:-}
LAPOR_DB=
LAPOR_SOCKET=
LAPOR_TLS=
LAPOR_SNI=
LAPOR_CACERT=
LAPOR_CACERTDIR=
LAPOR_CERT=
LAPOR_TLSKEY=
LAPOR_INSECURE=
LAPOR_TIMEOUT=${LAPOR_TIMEOUT:-5}
LAPOR_TMP=

LAPOR_OPTIONS_HELP='Connection (like redis-cli; the password is never put on
redis-cli'"'"'s command line):
  -h, --host HOST         Redis host (default 127.0.0.1, $LAPOR_REDIS_HOST)
  -p, --port PORT         Redis port (default 6380, $LAPOR_REDIS_PORT)
  -s, --socket PATH       a Unix socket instead of host and port
  -a, --pass PASSWORD     password (better: $REDISCLI_AUTH or --askpass)
      --askpass           read the password from the terminal
      --user USER         ACL user (default: see redis/README.md)
      --db N              database number (default 0)
      --tls               TLS; with --sni NAME, --cacert FILE,
                          --cacertdir DIR, --cert FILE, --tls-key FILE,
                          --insecure as for redis-cli (--key of redis-cli
                          is --tls-key here)
  -n, --namespace NS      the lapor_namespace (default $LAPOR_NAMESPACE)
      --help              this text
Exit codes: 0 done, 1 problem found or not found, 2 bad arguments,
3 Redis unusable (down, login refused, ACL refusal, timeout), 4 unknown
namespace, 5 other error.'

lapor_die() {
    _c=$1
    shift
    printf '%s: %s\n' "$LAPOR_PROG" "$*" >&2
    exit "$_c"
}

lapor_usage_error() {
    printf '%s: %s\n' "$LAPOR_PROG" "$*" >&2
    printf "Try '%s --help'.\n" "$LAPOR_PROG" >&2
    exit 2
}

lapor_need_arg() {
    # $1 option, $2 number of remaining arguments (with the option)
    [ "$2" -ge 2 ] || lapor_usage_error "option $1 needs a value"
}

lapor_check_number() {
    case $2 in
        ''|*[!0-9]*) lapor_usage_error "$1 must be a number, not \"$2\"" ;;
    esac
}

# lapor_common_opt "$@": one common option at $1; LAPOR_SHIFT is set to
# the arguments used, or the function returns 1 if $1 is not one.
lapor_common_opt() {
    LAPOR_SHIFT=2
    case $1 in
        -h|--host) lapor_need_arg "$1" $#; LAPOR_HOST=$2 ;;
        -p|--port) lapor_need_arg "$1" $#; lapor_check_number "$1" "$2"
            LAPOR_PORT=$2 ;;
        -s|--socket) lapor_need_arg "$1" $#; LAPOR_SOCKET=$2 ;;
        -a|--pass) lapor_need_arg "$1" $#; REDISCLI_AUTH=$2
            export REDISCLI_AUTH ;;
        --user) lapor_need_arg "$1" $#; LAPOR_USER=$2 ;;
        --db) lapor_need_arg "$1" $#; lapor_check_number "$1" "$2"
            LAPOR_DB=$2 ;;
        -n|--namespace) lapor_need_arg "$1" $#; LAPOR_NS=$2 ;;
        --sni) lapor_need_arg "$1" $#; LAPOR_SNI=$2 ;;
        --cacert) lapor_need_arg "$1" $#; LAPOR_CACERT=$2 ;;
        --cacertdir) lapor_need_arg "$1" $#; LAPOR_CACERTDIR=$2 ;;
        --cert) lapor_need_arg "$1" $#; LAPOR_CERT=$2 ;;
        --tls-key) lapor_need_arg "$1" $#; LAPOR_TLSKEY=$2 ;;
        --timeout) lapor_need_arg "$1" $#; lapor_check_number "$1" "$2"
            LAPOR_TIMEOUT=$2 ;;
        --tls) LAPOR_SHIFT=1; LAPOR_TLS=1 ;;
        --insecure) LAPOR_SHIFT=1; LAPOR_INSECURE=1 ;;
        --askpass) LAPOR_SHIFT=1; lapor_askpass ;;
        *) LAPOR_SHIFT=0; return 1 ;;
    esac
    return 0
}

lapor_askpass() {
    [ -r /dev/tty ] || lapor_usage_error "--askpass needs a terminal"
    printf 'Please input password: ' > /dev/tty
    _stty=$(stty -g < /dev/tty)
    stty -echo < /dev/tty
    IFS= read -r REDISCLI_AUTH < /dev/tty || REDISCLI_AUTH=
    stty "$_stty" < /dev/tty
    printf '\n' > /dev/tty
    export REDISCLI_AUTH
}

# After the options: checks the namespace and makes the temporary
# directory (removed at exit).
lapor_setup() {
    case $LAPOR_NS in
        '') lapor_usage_error "no namespace: give -n NS (the lapor_namespace)" ;;
        *[!a-z0-9_-]*) lapor_usage_error "invalid namespace \"$LAPOR_NS\" (a-z, 0-9, _ and -)" ;;
    esac
    LAPOR_P="lapor:{$LAPOR_NS}:"
    command -v redis-cli > /dev/null 2>&1 \
        || lapor_die 5 "redis-cli not found (Debian package redis-tools)"
    LAPOR_TMP=$(mktemp -d "${TMPDIR:-/tmp}/lapor-ops.XXXXXX") \
        || lapor_die 5 "cannot make a temporary directory"
    trap 'rm -rf "$LAPOR_TMP"' EXIT
    trap 'rm -rf "$LAPOR_TMP"; exit 130' INT
    trap 'rm -rf "$LAPOR_TMP"; exit 143' TERM
}

# lapor_cli ARGS...: redis-cli with the connection options, formatted
# (quoted) replies.
lapor_cli() {
    [ -z "$LAPOR_INSECURE" ] || set -- --insecure "$@"
    [ -z "$LAPOR_TLSKEY" ] || set -- --key "$LAPOR_TLSKEY" "$@"
    [ -z "$LAPOR_CERT" ] || set -- --cert "$LAPOR_CERT" "$@"
    [ -z "$LAPOR_CACERTDIR" ] || set -- --cacertdir "$LAPOR_CACERTDIR" "$@"
    [ -z "$LAPOR_CACERT" ] || set -- --cacert "$LAPOR_CACERT" "$@"
    [ -z "$LAPOR_SNI" ] || set -- --sni "$LAPOR_SNI" "$@"
    [ -z "$LAPOR_TLS" ] || set -- --tls "$@"
    [ -z "$LAPOR_DB" ] || set -- -n "$LAPOR_DB" "$@"
    if [ -n "$LAPOR_SOCKET" ]; then
        set -- -s "$LAPOR_SOCKET" "$@"
    else
        set -- -h "$LAPOR_HOST" -p "$LAPOR_PORT" "$@"
    fi
    timeout "$LAPOR_TIMEOUT" redis-cli --no-auth-warning --user "$LAPOR_USER" \
        --no-raw "$@"
}

lapor_where() {
    if [ -n "$LAPOR_SOCKET" ]; then
        printf '%s' "$LAPOR_SOCKET"
    else
        printf '%s:%s' "$LAPOR_HOST" "$LAPOR_PORT"
    fi
}

# Looks at the stderr ($1) and stdout ($2) files and the status ($3) of a
# redis-cli run; exits with 3 (or 5) and a clear message on any failure.
lapor_check_reply() {
    if [ "$3" -eq 124 ]; then
        lapor_die 3 "Redis at $(lapor_where) did not answer within ${LAPOR_TIMEOUT}s"
    fi
    if grep -q 'Could not connect' "$1"; then
        lapor_die 3 "cannot connect to Redis at $(lapor_where): $(sed -n 's/.*Could not connect to Redis at [^ ]*: //p' "$1" | head -n 1)"
    fi
    if grep -q 'AUTH failed' "$1" || grep -q '^[0-9) ]*(error) WRONGPASS' "$2"; then
        lapor_die 3 "Redis at $(lapor_where) refused the login of user \"$LAPOR_USER\" (wrong password or user disabled)"
    fi
    if grep -q '^[0-9) ]*(error) NOAUTH' "$2"; then
        lapor_die 3 "Redis at $(lapor_where) wants a password for user \"$LAPOR_USER\": give -a, \$REDISCLI_AUTH or --askpass"
    fi
    if grep -q '^[0-9) ]*(error) NOPERM' "$2"; then
        lapor_die 3 "Redis refused a command to user \"$LAPOR_USER\": $(sed -n 's/^[0-9) ]*(error) //p' "$2" | head -n 1) (see redis/README.md for the user each script needs)"
    fi
    if grep -q '^[0-9) ]*(error) ' "$2"; then
        lapor_die 3 "Redis error: $(sed -n 's/^[0-9) ]*(error) //p' "$2" | head -n 1)"
    fi
    if [ "$3" -ne 0 ]; then
        lapor_die 3 "redis-cli failed ($3): $(head -n 1 "$1")"
    fi
}

# lapor_call CMD ARGS...: one command; its formatted reply in the file
# $LAPOR_TMP/out.  Call it in the script's own shell, not in a pipeline or
# a $(...): its exit on a failure must end the script.
lapor_call() {
    _s=0
    lapor_cli "$@" > "$LAPOR_TMP/out" 2> "$LAPOR_TMP/err" || _s=$?
    lapor_check_reply "$LAPOR_TMP/err" "$LAPOR_TMP/out" "$_s"
}

# lapor_send < FILE: the commands of FILE (one a line, arguments quoted
# with lapor_q) in one redis-cli; their formatted replies in
# $LAPOR_TMP/out, in order.  Same rule as lapor_call.
lapor_send() {
    _s=0
    lapor_cli > "$LAPOR_TMP/out" 2> "$LAPOR_TMP/err" || _s=$?
    lapor_check_reply "$LAPOR_TMP/err" "$LAPOR_TMP/out" "$_s"
}

# lapor_q WORD: WORD quoted for a command line read by redis-cli.
lapor_q() {
    printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"]/\\&/g')"
}

# Exits with 4 unless the namespace has ever had a report number.
lapor_check_namespace() {
    lapor_call GET "${LAPOR_P}seq:report"
    _seq=$(cat "$LAPOR_TMP/out")
    case $_seq in
        '(nil)') lapor_die 4 "unknown namespace \"$LAPOR_NS\": Redis at $(lapor_where) has no ${LAPOR_P}seq:report" ;;
    esac
    LAPOR_SEQ=$(printf '%s\n' "$_seq" | tr -d '"')
}

# awk functions for the formatted replies of redis-cli (run awk with
# LC_ALL=C): val(line) strips an "N) " prefix and decodes a quoted string
# ("(nil)" gives "" with NIL=1, "(integer) N" gives N); js(s) is s as a JSON
# string; csv(s) is s as an RFC 4180 field.
LAPOR_AWK='
function lapor_init(   i) {
    for (i = 0; i < 256; i++) { CHR[i] = sprintf("%c", i); ORD[CHR[i]] = i }
    for (i = 0; i < 16; i++) { HEX[substr("0123456789abcdef", i + 1, 1)] = i
        HEX[substr("0123456789ABCDEF", i + 1, 1)] = i }
    ESC["n"] = "\n"; ESC["r"] = "\r"; ESC["t"] = "\t"; ESC["a"] = CHR[7]
    ESC["b"] = CHR[8]; ESC["\\"] = "\\"; ESC["\""] = "\""
    CTRL = "[" CHR[1] "-" CHR[31] CHR[127] "]"
}
function val(s,   out, i, c) {
    NIL = 0
    sub(/^[ ]*[0-9]+\) /, "", s)
    if (s == "(nil)") { NIL = 1; return "" }
    if (s ~ /^\(integer\) /) return substr(s, 11)
    if (s == "(empty array)") { NIL = 1; return "" }
    if (substr(s, 1, 1) != "\"") return s
    s = substr(s, 2, length(s) - 2)
    if (index(s, "\\") == 0) return s
    out = ""
    while ((i = index(s, "\\")) > 0) {
        out = out substr(s, 1, i - 1)
        c = substr(s, i + 1, 1)
        if (c == "x") {
            out = out CHR[HEX[substr(s, i + 2, 1)] * 16 + HEX[substr(s, i + 3, 1)]]
            s = substr(s, i + 4)
        } else {
            out = out ((c in ESC) ? ESC[c] : c)
            s = substr(s, i + 2)
        }
    }
    return out s
}
function rep(s, a, b,   n, p, i, out) {
    n = split(s, p, a)
    out = p[1]
    for (i = 2; i <= n; i++) out = out b p[i]
    return out
}
function js(s,   out, c) {
    if (index(s, "\\")) s = rep(s, "\\", "\\" "\\")
    if (index(s, "\"")) s = rep(s, "\"", "\\" "\"")
    if (s ~ CTRL) {
        gsub(/\n/, "\\n", s); gsub(/\r/, "\\r", s); gsub(/\t/, "\\t", s)
        out = ""
        while (match(s, CTRL)) {
            c = substr(s, RSTART, 1)
            out = out substr(s, 1, RSTART - 1) sprintf("\\u%04x", ORD[c])
            s = substr(s, RSTART + 1)
        }
        s = out s
    }
    return "\"" s "\""
}
function csv(s) {
    if (s !~ /[",\r\n]/) return s
    gsub(/"/, "\"\"", s)
    return "\"" s "\""
}
'

# awk functions for a catalog file (docs/catalog.md), with LAPOR_AWK:
# cat_load(file) sets TZOFF (seconds east of UTC), HOL[day] for each
# holiday, HOL_UNTIL (the last day covered, -1 for no end: a catalog
# without holidays) and CAT_ERR (why the file could not be read); days are
# numbered from 1970-01-01.  day_of(t) is the local day of Unix time t,
# ymd(day) its date, working(day) 1 for a working day.
LAPOR_CATALOG_AWK='
function days_from_civil(y, m, d,   era, yoe, doy, doe) {
    y -= (m <= 2)
    era = int((y >= 0 ? y : y - 399) / 400)
    yoe = y - era * 400
    doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
    doe = yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy
    return era * 146097 + doe - 719468
}
function date_day(s) {
    return days_from_civil(substr(s, 1, 4) + 0, substr(s, 6, 2) + 0, substr(s, 9, 2) + 0)
}
function ymd(z,   era, doe, yoe, y, doy, mp, d, m) {
    z += 719468
    era = int((z >= 0 ? z : z - 146096) / 146097)
    doe = z - era * 146097
    yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
    y = yoe + era * 400
    doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
    mp = int((5 * doy + 2) / 153)
    d = doy - int((153 * mp + 2) / 5) + 1
    m = mp + (mp < 10 ? 3 : -9)
    return sprintf("%04d-%02d-%02d", y + (m <= 2), m, d)
}
function day_of(t) { return int((t + TZOFF) / 86400) - ((t + TZOFF) < 0 && (t + TZOFF) % 86400) }
function working(z,   w) { w = (z + 4) % 7; return w != 0 && w != 6 && !(z in HOL) }
function cat_load(file,   s, l, n, tz, h, last, d, sign) {
    s = ""; n = 0; CAT_ERR = ""
    while ((getline l < file) > 0) s = s (n++ ? "\n" : "") l
    close(file)
    if (n == 0) { CAT_ERR = "cannot read " file; return 0 }
    if (!match(s, /"time_zone"[ \t\r\n]*:[ \t\r\n]*"[^"]*"/)) { CAT_ERR = file ": no time_zone"; return 0 }
    tz = substr(s, RSTART, RLENGTH); sub(/.*:[ \t\r\n]*"/, "", tz); sub(/"$/, "", tz)
    if (tz == "Asia/Jakarta" || tz == "Asia/Pontianak") TZOFF = 7 * 3600
    else if (tz == "Asia/Makassar" || tz == "Asia/Ujung_Pandang") TZOFF = 8 * 3600
    else if (tz == "Asia/Jayapura") TZOFF = 9 * 3600
    else if (tz == "UTC") TZOFF = 0
    else if (tz ~ /^[+-][0-9][0-9]:[0-9][0-9]$/) {
        sign = substr(tz, 1, 1) == "-" ? -1 : 1
        TZOFF = sign * (substr(tz, 2, 2) * 3600 + substr(tz, 5, 2) * 60)
    } else { CAT_ERR = file ": time_zone \"" tz "\" is not supported"; return 0 }
    TZ = tz
    last = -1
    if (match(s, /"holidays"[ \t\r\n]*:[ \t\r\n]*\[[^]]*\]/)) {
        h = substr(s, RSTART, RLENGTH)
        while (match(h, /"date"[ \t\r\n]*:[ \t\r\n]*"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"/)) {
            d = substr(h, RSTART + RLENGTH - 11, 10)
            HOL[date_day(d)] = 1
            if (date_day(d) > last) last = date_day(d)
            h = substr(h, RSTART + RLENGTH)
        }
    }
    HOL_UNTIL = -1
    if (match(s, /"holidays_until"[ \t\r\n]*:[ \t\r\n]*"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"/))
        HOL_UNTIL = date_day(substr(s, RSTART + RLENGTH - 11, 10))
    else if (last >= 0)
        HOL_UNTIL = date_day(substr(ymd(last), 1, 4) "-12-31")
    return 1
}
'
