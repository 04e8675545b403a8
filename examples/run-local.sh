#!/bin/sh
# "make run": Redis and nginx with the example configuration, in the
# foreground, with all state under var/.  Ctrl-C stops both.
#
#   LAPOR_PORT        nginx port (default 8080)
#   LAPOR_REDIS_PORT  Redis port (default 6380)

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
port=${LAPOR_PORT:-8080}
redis_port=${LAPOR_REDIS_PORT:-6380}
module=$top/build/modules/ngx_http_lapor_module.so
var=$top/var
nginx=${NGINX:-/usr/sbin/nginx}

for p in "$port" "$redis_port"; do
    case "$p" in
        ''|*[!0-9]*) echo "error: invalid port \"$p\"" >&2; exit 1 ;;
    esac
done

if [ ! -f "$module" ]; then
    echo "error: $module is missing; run \"make run\", not this script" >&2
    exit 1
fi

mkdir -p "$var/redis" "$var/nginx/logs" "$var/nginx/tmp"
# workers run as an unprivileged user when nginx is started as root
chmod 1777 "$var/nginx/tmp"

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

redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$var/redis" \
    --appendonly yes --appendfsync everysec --maxmemory-policy noeviction \
    --hash-max-listpack-value 4096 \
    --daemonize no --logfile "$var/redis/redis.log" &
redis_pid=$!

i=0
until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do
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

# the example configuration, pointed at this checkout and at var/
sed -e "s|/usr/lib/nginx/modules/ngx_http_lapor_module.so|$module|" \
    -e "s|127\.0\.0\.1:8080|127.0.0.1:$port|g" \
    -e "s|127\.0\.0\.1:6380|127.0.0.1:$redis_port|g" \
    -e "s|/etc/nginx/lapor/catalog.json|$top/examples/catalog.json|" \
    -e "s|/etc/nginx/lapor/identity.key|$var/identity.key|" \
    -e "s|/etc/nginx/lapor/tokens|$var/tokens|" \
    -e "s|/usr/share/ngx_lapor/portal|$top/examples/portal|" \
    -e "s|^\([[:space:]]*\)error_log[[:space:]].*;|\1error_log $var/nginx/logs/error.log info;|" \
    -e "s|^\([[:space:]]*\)access_log[[:space:]].*;|\1access_log $var/nginx/logs/access.log;|" \
    -e "s|^\([[:space:]]*\)pid[[:space:]].*;|\1pid $var/nginx/nginx.pid;|" \
    -e "s|^http {|http {\n    client_body_temp_path $var/nginx/tmp/body;\n    proxy_temp_path $var/nginx/tmp/proxy;\n    fastcgi_temp_path $var/nginx/tmp/fastcgi;\n    uwsgi_temp_path $var/nginx/tmp/uwsgi;\n    scgi_temp_path $var/nginx/tmp/scgi;\n|" \
    "$top/examples/nginx.conf" > "$var/nginx/nginx.conf"

"$nginx" -q -t -p "$var/nginx/" -c "$var/nginx/nginx.conf" \
    -e "$var/nginx/logs/error.log" -g "daemon off;"

"$nginx" -p "$var/nginx/" -c "$var/nginx/nginx.conf" \
    -e "$var/nginx/logs/error.log" -g "daemon off;" &
nginx_pid=$!

cat <<MSG
ngx_lapor is running (Ctrl-C stops nginx and Redis):
  portal    http://127.0.0.1:$port/
  API       http://127.0.0.1:$port/api/v1/   try: curl -s 127.0.0.1:$port/api/v1/health
  Redis     127.0.0.1:$redis_port, data in $var/redis
  nginx     configuration $var/nginx/nginx.conf, logs in $var/nginx/logs
  officers  tokens for development in $var/dev-tokens.txt (hashes in $var/tokens)
            curl -s -H "Authorization: Bearer <token>" 127.0.0.1:$port/api/v1/queue
MSG

wait "$nginx_pid" || true
nginx_pid=
