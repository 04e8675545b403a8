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
    # --foreground: redis-cli stays in the process group of the script, so
    # that a signal to the group (a relay stopped) reaches it too
    timeout --foreground "$LAPOR_TIMEOUT" redis-cli --no-auth-warning --user "$LAPOR_USER" \
        --no-raw "$@"
}

lapor_where() {
    if [ -n "$LAPOR_SOCKET" ]; then
        printf '%s' "$LAPOR_SOCKET"
    else
        printf '%s:%s' "$LAPOR_HOST" "$LAPOR_PORT"
    fi
}

# Looks at the stderr ($1) of a redis-cli run with --db N: redis-cli says
# "SELECT N failed" there and goes on in database 0; exits with 3 then, so
# that no script reads or writes another database than the one asked for.
lapor_check_select() {
    if grep -q '^SELECT [0-9]* failed' "$1"; then
        lapor_die 3 "Redis at $(lapor_where) refused database $LAPOR_DB to user \"$LAPOR_USER\": $(sed -n 's/^SELECT [0-9]* failed: //p' "$1" | head -n 1)"
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
    if grep -q 'Server closed the connection\|Connection reset' "$1"; then
        lapor_die 3 "lost the connection to Redis at $(lapor_where)"
    fi
    if grep -q 'AUTH failed' "$1" || grep -q '^[0-9) ]*(error) WRONGPASS' "$2"; then
        lapor_die 3 "Redis at $(lapor_where) refused the login of user \"$LAPOR_USER\" (wrong password or user disabled)"
    fi
    lapor_check_select "$1"
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
# LC_ALL=C): val(line) strips the "N) " prefixes and decodes a quoted string
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
    while (sub(/^[ ]*[0-9]+\) /, "", s)) ;
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
    if (s ~ /[\001-\037\177]/) {
        gsub(/\n/, "\\n", s); gsub(/\r/, "\\r", s); gsub(/\t/, "\\t", s)
        out = ""
        while (match(s, /[\001-\037\177]/)) {
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
function ymd(z) { return (z in YMD_) ? YMD_[z] : (YMD_[z] = ymd_(z)) }
function ymd_(z,   era, doe, yoe, y, doy, mp, d, m) {
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
# a JSON document flattened: J[path] = value (strings decoded), JN[path]
# = the number of elements of an array, JT[path] = "s" for a string;
# paths like agencies[0].name.id.  Returns 0 (and sets JERR) on an error.
function jflat(text) { JT_ = text; JP_ = 1; JERR = ""; jws(); if (!jval("")) return 0; jws(); if (JP_ <= length(JT_)) { JERR = "trailing data"; return 0 } return 1 }
function jws() { while (substr(JT_, JP_, 1) ~ /[ \t\r\n]/ && JP_ <= length(JT_)) JP_++ }
function jval(path,   c, n, k, m) {
    c = substr(JT_, JP_, 1)
    if (c == "{") {
        JP_++; jws()
        if (substr(JT_, JP_, 1) == "}") { JP_++; return 1 }
        for (;;) {
            jws(); if (substr(JT_, JP_, 1) != "\"") { JERR = "key expected"; return 0 }
            k = jstr(); jws()
            if (substr(JT_, JP_, 1) != ":") { JERR = "colon expected"; return 0 }
            JP_++; jws()
            if (!jval(path == "" ? k : path "." k)) return 0
            jws(); c = substr(JT_, JP_++, 1)
            if (c == "}") return 1
            if (c != ",") { JERR = "comma expected"; return 0 }
        }
    }
    if (c == "[") {
        JP_++; jws(); n = 0
        if (substr(JT_, JP_, 1) == "]") { JP_++; JN[path] = 0; return 1 }
        for (;;) {
            jws(); if (!jval(path "[" n "]")) return 0
            n++; jws(); c = substr(JT_, JP_++, 1)
            if (c == "]") { JN[path] = n; return 1 }
            if (c != ",") { JERR = "comma expected"; return 0 }
        }
    }
    if (c == "\"") { J[path] = jstr(); JT[path] = "s"; return 1 }
    if (match(substr(JT_, JP_, 64), /^(-?[0-9][0-9.eE+-]*|true|false|null)/)) {
        J[path] = substr(JT_, JP_, RLENGTH); JP_ += RLENGTH; return 1
    }
    JERR = "unexpected character at byte " JP_
    return 0
}
function jstr(   out, c, i, u, u2) {
    JP_++; out = ""
    for (;;) {
        i = JP_
        while ((c = substr(JT_, JP_, 1)) != "\"" && c != "\\" && c != "") JP_++
        out = out substr(JT_, i, JP_ - i)
        if (c == "\"" || c == "") { JP_++; return out }
        c = substr(JT_, JP_ + 1, 1); JP_ += 2
        if (c == "u") {
            u = jhex(substr(JT_, JP_, 4)); JP_ += 4
            if (u >= 55296 && u < 56320 && substr(JT_, JP_, 2) == "\\u") {
                u2 = jhex(substr(JT_, JP_ + 2, 4)); JP_ += 6
                u = 65536 + (u - 55296) * 1024 + (u2 - 56320)
            }
            out = out utf8(u)
        } else if (c == "n") out = out "\n"
        else if (c == "t") out = out "\t"
        else if (c == "r") out = out "\r"
        else if (c == "b") out = out CHR[8]
        else if (c == "f") out = out CHR[12]
        else out = out c
    }
}
function jhex(h,   i, v) { v = 0; for (i = 1; i <= 4; i++) v = v * 16 + HEX[substr(h, i, 1)]; return v }
function utf8(u) {
    if (u < 128) return CHR[u]
    if (u < 2048) return CHR[192 + int(u / 64)] CHR[128 + u % 64]
    if (u < 65536) return CHR[224 + int(u / 4096)] CHR[128 + int(u / 64) % 64] CHR[128 + u % 64]
    return CHR[240 + int(u / 262144)] CHR[128 + int(u / 4096) % 64] CHR[128 + int(u / 64) % 64] CHR[128 + u % 64]
}
# the offset of "+HH:MM" for RFC 3339 times
function tzstr() {
    if (TZOFF == 0) return "Z"
    return sprintf("%s%02d:%02d", TZOFF < 0 ? "-" : "+", int((TZOFF < 0 ? -TZOFF : TZOFF) / 3600), int((TZOFF < 0 ? -TZOFF : TZOFF) % 3600 / 60))
}
# Unix time t as RFC 3339 in the time zone of the catalog, as the API does
function rfc3339(t,   z, s) {
    z = day_of(t); s = t + TZOFF - z * 86400
    return sprintf("%sT%02d:%02d:%02d%s", ymd(z), int(s / 3600), int(s % 3600 / 60), s % 60, tzstr())
}
function cat_load(file,   s, l, n, tz, i, last, d, sign) {
    s = ""; n = 0; CAT_ERR = ""
    while ((getline l < file) > 0) s = s (n++ ? "\n" : "") l
    close(file)
    if (n == 0) { CAT_ERR = "cannot read " file; return 0 }
    if (!jflat(s)) { CAT_ERR = file ": invalid JSON (" JERR ")"; return 0 }
    tz = J["time_zone"]
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
    for (i = 0; i < JN["holidays"]; i++) {
        d = J["holidays[" i "].date"]
        if (d !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$/) continue
        HOL[date_day(d)] = 1
        if (date_day(d) > last) last = date_day(d)
    }
    HOL_UNTIL = -1
    if (J["holidays_until"] ~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$/)
        HOL_UNTIL = date_day(J["holidays_until"])
    else if (last >= 0)
        HOL_UNTIL = date_day(substr(ymd(last), 1, 4) "-12-31")
    for (i = 0; i < JN["agencies"]; i++) {
        AGENCY_ID[J["agencies[" i "].code"]] = J["agencies[" i "].name.id"]
        AGENCY_EN[J["agencies[" i "].code"]] = J["agencies[" i "].name.en"]
    }
    return 1
}
'

# awk: mask(s), the masking of the public views (NIK, phone numbers and
# e-mail addresses become "*"): a port of ngx_lapor_module/lapor_mask.c,
# byte for byte (run awk with LC_ALL=C); lapor_mask.h has the rules.
# t/062-ops-export.t runs it over every case of t/unit/test_mask.c.
LAPOR_MASK_AWK='
function m_digit(c) { return c != "" && index("0123456789", c) > 0 }
function m_alpha(c) { return c != "" && index("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", c) > 0 }
function m_local(c) { return c != "" && index("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-", c) > 0 }
function m_label(c) { return c != "" && index("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", c) > 0 }
function m_ch(i) { return substr(M_S, i, 1) }
function m_email(i,   p, label, labels, letters) {
    while (i <= M_L && m_ch(i) == ".") i++
    p = i
    while (p <= M_L && m_local(m_ch(p))) p++
    if (p == i || p > M_L || m_ch(p) != "@") return 0
    p++
    labels = 0
    for (;;) {
        label = p; letters = 1
        while (p <= M_L && m_label(m_ch(p))) { if (!m_alpha(m_ch(p))) letters = 0; p++ }
        if (p == label) return 0
        labels++
        if (M_L - p + 1 < 2 || m_ch(p) != "." || !m_label(m_ch(p + 1))) break
        p++
    }
    if (labels < 2 || !letters || p - label < 2) return 0
    if (p <= M_L && (m_ch(p) == "*" || (m_ch(p) == "." && M_L - p + 1 > 1 && m_ch(p + 1) == "*"))) return 0
    M_START = i
    return p
}
function m_area(i, zero,   p, d) {
    p = i + 1
    if (zero && (p > M_L || m_ch(p) != "0")) return 0
    d = 0
    while (p <= M_L && m_digit(m_ch(p))) { p++; d++ }
    if (d < (zero ? 2 : 1) || d > 5 || p > M_L || m_ch(p) != ")") return 0
    p++
    if (p <= M_L && m_ch(p) == " ") p++
    if (p > M_L || !m_digit(m_ch(p))) return 0
    if (m_email(p)) return 0
    M_D += d
    return p
}
function m_run(i,   p, q, d) {
    p = i; d = 0
    if (m_ch(p) == "+") {
        if (M_L - p + 1 < 2 || !m_digit(m_ch(p + 1))) return 0
        for (p++; p <= M_L && m_digit(m_ch(p)); p++) d++
        q = p
        if (q <= M_L && m_ch(q) == " ") q++
        if (q <= M_L && m_ch(q) == "(") {
            M_D = d
            q = m_area(q, 0)
            if (q) { p = q; d = M_D }
        }
    } else if (m_ch(p) == "(") {
        M_D = 0
        p = m_area(i, 1)
        if (p == 0) return 0
        d = M_D
    } else if (!m_digit(m_ch(p))) return 0
    for (;;) {
        while (p <= M_L && m_digit(m_ch(p))) { p++; d++ }
        if (M_L - p + 1 < 2 || (m_ch(p) != " " && m_ch(p) != "-") || !m_digit(m_ch(p + 1))) break
        if (m_ch(p) == " " && m_email(p + 1)) break
        p++
    }
    M_DIGITS = d
    return p
}
# the next position after i where an item may start: a digit, "+" or
# "(", or the start of the run of local-part bytes right before an "@"
# (elsewhere an address cannot start); 0 for none
function m_next(i, at,   d, e, from, k, a, r) {
    d = match(substr(M_S, i + 1), /[0-9+(]/) ? i + RSTART : 0
    e = 0
    if (at) {
        from = i + 1
        while ((k = index(substr(M_S, from), "@")) > 0) {
            a = from + k - 1
            r = a
            while (r > 1 && m_local(m_ch(r - 1))) r--
            if (r > i && r < a) { e = r; break }
            if (d && a > d) break
            from = a + 1
        }
    }
    if (!d) return e
    if (!e) return d
    return d < e ? d : e
}
function mask(s,   at, out, seg, i, c, prev, end, k, x) {
    # most texts have no "@" and fewer than nine digits: nothing to mask
    at = index(s, "@") > 0
    if (!at && s !~ /[0-9][^0-9]*[0-9][^0-9]*[0-9][^0-9]*[0-9][^0-9]*[0-9][^0-9]*[0-9][^0-9]*[0-9][^0-9]*[0-9][^0-9]*[0-9]/) return s
    M_S = s; M_L = length(s)
    out = ""; seg = 1; i = 1; prev = ""
    while (i <= M_L) {
        c = m_ch(i)
        if (!m_digit(c) && c != "+" && c != "(" && !(at && m_local(c) && !m_local(prev))) {
            # nothing can start here: on to the next byte where something
            # can (the bytes between are copied as they are)
            k = m_next(i, at)
            if (!k) break
            prev = m_ch(k - 1); i = k
            continue
        }
        if (at && m_local(c) && !m_local(prev)) {
            end = m_email(i)
            if (end) {
                out = out substr(s, seg, i - seg)
                for (k = i; k < end; k++) { x = m_ch(k); out = out ((k < M_START || x == "@") ? x : "*") }
                prev = "*"; i = end; seg = end
                continue
            }
        }
        end = (m_digit(c) || c == "+" || c == "(") ? m_run(i) : 0
        if (end) {
            prev = m_ch(end - 1)
            if (M_DIGITS >= 9) {
                out = out substr(s, seg, i - seg)
                for (k = i; k < end; k++) { x = m_ch(k); out = out ((m_digit(x) || x == "+") ? "*" : x) }
                prev = "*"; seg = end
            }
            i = end
            continue
        }
        prev = c
        i++
    }
    return out substr(s, seg)
}
'
