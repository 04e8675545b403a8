#!/bin/sh
# "make run": Redis and nginx with the example configuration, in the
# foreground, with all state under var/.  Ctrl-C stops both.
#
#   run-local.sh               start Redis and nginx ("make run")
#   run-local.sh reload        rewrite nginx.conf, check it and reload the
#                              running nginx: new tokens, a rebuilt module
#                              ("make reload")
#   run-local.sh reset-limits  forget every client's rate-limit counters
#                              ("make reset-limits")
#
#   LAPOR_PORT          nginx port (default 8080)
#   LAPOR_REDIS_PORT    Redis port (default 6380)
#   LAPOR_SUBMIT_LIMIT  the submit limit for development (default
#                       "60r/m burst=20"; the example's production limit
#                       is "10r/h burst=5")
#   LAPOR_VAR           the state directory (default var/ in the checkout)
#
# Redis runs with the shipped redis/redis.conf and redis/users.acl (only
# ports, paths and passwords replaced), and nginx logs in as the ACL's
# least-privilege user "lapor", as in production.

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
port=${LAPOR_PORT:-8080}
redis_port=${LAPOR_REDIS_PORT:-6380}
submit_limit=${LAPOR_SUBMIT_LIMIT:-60r/m burst=20}
module=$top/build/modules/ngx_http_lapor_module.so
var=${LAPOR_VAR:-$top/var}
nginx=${NGINX:-/usr/sbin/nginx}
namespace=bali

for p in "$port" "$redis_port"; do
    case "$p" in
        ''|*[!0-9]*) echo "error: invalid port \"$p\"" >&2; exit 1 ;;
    esac
done

case "$submit_limit" in
    *[!0-9a-z=/\ ]*|'')
        echo "error: invalid LAPOR_SUBMIT_LIMIT \"$submit_limit\"" \
             "(e.g. \"60r/m burst=20\")" >&2
        exit 1 ;;
esac

case "$var" in
    /*) ;;
    *) var=$(pwd)/$var ;;
esac

# The Redis passwords of this checkout, made once: "admin" for operators
# (redis-cli), "lapor" for nginx, "reader" and "relay" for the operations
# scripts.
passwords() {
    (
        umask 077
        touch "$var/redis-passwords"
        # a user missing from the file (one added by a later release) gets
        # its password too
        for user in admin lapor reader relay; do
            grep -q "^$user " "$var/redis-passwords" && continue
            printf '%s %s\n' "$user" \
                "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
        done > "$var/redis-passwords.tmp"
        cat "$var/redis-passwords.tmp" >> "$var/redis-passwords"
        rm -f "$var/redis-passwords.tmp"
    )
    admin_password=$(awk '$1 == "admin" { print $2 }' "$var/redis-passwords")
    lapor_password=$(awk '$1 == "lapor" { print $2 }' "$var/redis-passwords")
    reader_password=$(awk '$1 == "reader" { print $2 }' "$var/redis-passwords")
    relay_password=$(awk '$1 == "relay" { print $2 }' "$var/redis-passwords")
}

redis_cli() {
    REDISCLI_AUTH=$admin_password redis-cli -p "$redis_port" --user admin \
        "$@"
}

# the example configuration, pointed at this checkout and at var/
write_nginx_conf() {
    sed -e "s|/usr/lib/nginx/modules/ngx_http_lapor_module.so|$module|" \
        -e "s|127\.0\.0\.1:8080|127.0.0.1:$port|g" \
        -e "s|^\([[:space:]]*lapor_redis\) 127\.0\.0\.1:6380;|\1 127.0.0.1:$redis_port user=lapor password=$lapor_password;|" \
        -e "s|127\.0\.0\.1:6380|127.0.0.1:$redis_port|g" \
        -e "s|^\([[:space:]]*lapor_limit submit\) .*;|\1 $submit_limit;|" \
        -e "s|/etc/nginx/lapor/catalog.json|$top/examples/catalog.json|" \
        -e "s|/etc/nginx/lapor/identity.key|$var/identity.key|" \
        -e "s|/etc/nginx/lapor/tokens|$var/tokens|" \
        -e "s|/usr/share/ngx_lapor/portal|$top/examples/portal|" \
        -e "s|/usr/share/ngx_lapor/console/|$top/examples/console/|" \
        -e "s|^\([[:space:]]*\)error_log[[:space:]].*;|\1error_log $var/nginx/logs/error.log info;|" \
        -e "s|^\([[:space:]]*\)access_log[[:space:]].*;|\1access_log $var/nginx/logs/access.log;|" \
        -e "s|^\([[:space:]]*\)pid[[:space:]].*;|\1pid $var/nginx/nginx.pid;|" \
        -e "s|^http {|http {\n    client_body_temp_path $var/nginx/tmp/body;\n    proxy_temp_path $var/nginx/tmp/proxy;\n    fastcgi_temp_path $var/nginx/tmp/fastcgi;\n    uwsgi_temp_path $var/nginx/tmp/uwsgi;\n    scgi_temp_path $var/nginx/tmp/scgi;\n|" \
        "$top/examples/nginx.conf" > "$var/nginx/nginx.conf.tmp"
    chmod 600 "$var/nginx/nginx.conf.tmp"
    mv "$var/nginx/nginx.conf.tmp" "$var/nginx/nginx.conf"

    if ! grep -q "lapor_redis 127.0.0.1:$redis_port user=lapor " \
            "$var/nginx/nginx.conf"; then
        echo "error: examples/nginx.conf has no" \
             "\"lapor_redis 127.0.0.1:6380;\" line to point at Redis" >&2
        exit 1
    fi
}

nginx_ctl() {
    "$nginx" -p "$var/nginx/" -c "$var/nginx/nginx.conf" \
        -e "$var/nginx/logs/error.log" "$@"
}

case "${1:-run}" in
    run) ;;

    reload)
        if [ ! -s "$var/nginx/nginx.pid" ] \
                || ! kill -0 "$(cat "$var/nginx/nginx.pid")" 2>/dev/null; then
            echo "error: no nginx of \"make run\" is running" \
                 "($var/nginx/nginx.pid)" >&2
            exit 1
        fi
        passwords
        write_nginx_conf
        nginx_ctl -q -t -g "daemon off;"
        nginx_ctl -g "daemon off;" -s reload
        echo "reloaded: $var/nginx/nginx.conf, tokens from $var/tokens"
        exit 0 ;;

    reset-limits)
        passwords
        # development only: the counters are the keys
        # lapor:{NS}:rl:<zone>:<client>:<window>, found with SCAN (never KEYS)
        n=0
        for key in $(redis_cli --scan --pattern "lapor:{$namespace}:rl:*"); do
            redis_cli del "$key" > /dev/null
            n=$((n + 1))
        done
        echo "rate-limit counters removed: $n"
        exit 0 ;;

    *)
        echo "usage: $0 [run|reload|reset-limits]" >&2
        exit 2 ;;
esac

if [ ! -f "$module" ]; then
    echo "error: $module is missing; run \"make run\", not this script" >&2
    exit 1
fi

mkdir -p "$var/redis" "$var/nginx/logs" "$var/nginx/tmp"
# workers run as an unprivileged user when nginx is started as root
chmod 1777 "$var/nginx/tmp"

passwords

# The shipped Redis configuration and ACL, with this checkout's port,
# paths and passwords.  Written anew at every start, so a change of the
# shipped files is what runs.
sed -e "s|^port .*|port $redis_port|" \
    -e "s|^dir .*|dir $var/redis|" \
    -e "s|^pidfile .*|pidfile $var/redis/redis-server.pid|" \
    -e "s|^logfile .*|logfile $var/redis/redis.log|" \
    -e "s|^aclfile .*|aclfile $var/redis/users.acl|" \
    -e "s|^supervised .*|supervised no|" \
    -e "s|^daemonize .*|daemonize no|" \
    "$top/redis/redis.conf" > "$var/redis/redis.conf"
(
    umask 077
    # the users of replication and Sentinel are not needed here: off
    sed -e "s|>CHANGE_ME_admin_password|>$admin_password|" \
        -e "s|>CHANGE_ME_lapor_password|>$lapor_password|" \
        -e "s|>CHANGE_ME_reader_password|>$reader_password|" \
        -e "s|>CHANGE_ME_relay_password|>$relay_password|" \
        -e "/>CHANGE_ME_/s|^user \([^ ]*\) on |user \1 off |" \
        "$top/redis/users.acl" > "$var/redis/users.acl"
)

redis_pid=
nginx_pid=

stop() {
    trap - INT TERM EXIT
    if [ -n "$nginx_pid" ]; then
        kill -QUIT "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
    fi
    if [ -n "$redis_pid" ]; then
        kill -TERM "$redis_pid" 2>/dev/null || true
        wait "$redis_pid" 2>/dev/null || true
    fi
    echo "stopped"
}
trap stop INT TERM EXIT

# what a crash may have left of a transaction in the AOF, cut before Redis
# starts (redis.conf: aof-load-truncated no), as the systemd drop-in does
"$top/lua-free-scripts/lapor-aof-check" --fix --quiet "$var/redis" || exit 1

redis-server "$var/redis/redis.conf" &
redis_pid=$!

i=0
until [ "$(redis_cli ping 2>/dev/null)" = PONG ]; do
    i=$((i + 1))
    if [ "$i" -gt 50 ] || ! kill -0 "$redis_pid" 2>/dev/null; then
        echo "error: redis-server did not start on 127.0.0.1:$redis_port;" \
             "see $var/redis/redis.log" >&2
        exit 1
    fi
    sleep 0.1
done

# the identity key for this checkout, made once
if [ ! -s "$var/identity.key" ]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' \
        > "$var/identity.key")
fi

# development officer tokens, made once: an admin and one agency officer
if [ ! -s "$var/tokens" ]; then
    (
        umask 077
        : > "$var/dev-tokens.txt"
        for spec in "admin - dev.admin" "agency pupr-kim dev.pupr"; do
            # shellcheck disable=SC2086
            line=$("$top/lua-free-scripts/lapor-token" $spec 2> "$var/.token")
            echo "$line" >> "$var/tokens"
            printf '%s\t%s\n' "$(echo $spec | cut -d' ' -f3)" \
                "$(sed 's/^token: //' "$var/.token")" >> "$var/dev-tokens.txt"
        done
        rm -f "$var/.token"
    )
fi

write_nginx_conf

nginx_ctl -q -t -g "daemon off;"

nginx_ctl -g "daemon off;" &
nginx_pid=$!

cat <<MSG
ngx_lapor is running (Ctrl-C stops nginx and Redis):
  portal    http://127.0.0.1:$port/
  API       http://127.0.0.1:$port/api/v1/   try: curl -s 127.0.0.1:$port/api/v1/health
  Redis     127.0.0.1:$redis_port, data in $var/redis, shipped redis.conf and
            users.acl; passwords in $var/redis-passwords:
            REDISCLI_AUTH=\$(awk '\$1=="admin"{print \$2}' $var/redis-passwords) redis-cli -p $redis_port --user admin
  nginx     configuration $var/nginx/nginx.conf, logs in $var/nginx/logs
  console   http://127.0.0.1:$port/console/   sign in with a token of
            $var/dev-tokens.txt (dev.admin: admin, dev.pupr: agency pupr-kim)
  officers  tokens for development in $var/dev-tokens.txt (hashes in $var/tokens)
            curl -s -H "Authorization: Bearer <token>" 127.0.0.1:$port/api/v1/queue
            a new token: lua-free-scripts/lapor-token ... >> $var/tokens; make reload
  limits    submissions: $submit_limit per client (development; production
            10r/h burst=5); "make reset-limits" forgets every client's counters
MSG

wait "$nginx_pid" || true
nginx_pid=
