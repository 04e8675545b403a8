#!/bin/sh
# Installs the Debian packages given as arguments that are not installed yet.
# Used by "make run" and "make test"; does nothing when all are present.

set -eu

missing=
for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *" installed") ;;
        *) missing="$missing $pkg" ;;
    esac
done

[ -z "$missing" ] && exit 0

echo "installing Debian packages:$missing"

sudo=
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=sudo
    else
        echo "error: these packages are missing and this user cannot" \
             "install them:$missing" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive

# keep the packaged nginx and redis services from starting on install
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ] && [ -z "$sudo" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    created_policy=1
fi

cleanup() {
    if [ -n "$created_policy" ]; then
        rm -f "$policy"
    fi
}
trap cleanup EXIT

$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
