#!/usr/bin/env bash
# Install the Debian packages listed in deploy/apt-packages.txt that are missing.
#
# Only what is missing is installed (one `apt-get update`, one `apt-get install`), and only when
# running as root. As another user, missing packages are listed in a warning and the script
# still succeeds, so `make setup` can go on. Installing never starts a service.
#
# Usage: scripts/system-packages.sh [--check]   (--check: report only, never install)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
list_file="${YANXIU_APT_PACKAGES:-$repo_root/deploy/apt-packages.txt}"
check_only=0
if [[ "${1:-}" == "--check" ]]; then
    check_only=1
fi

if [[ ! -r "$list_file" ]]; then
    echo "system-packages: cannot read $list_file" >&2
    exit 1
fi

# Package names: strip comments and blank lines.
packages=()
while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line%%#*}"
    read -ra words <<<"$line"
    packages+=("${words[@]}")
done <"$list_file"

# A command that shows a package is usable, for machines without dpkg.
probe_command() {
    case "$1" in
        gettext) echo msgfmt ;;
        chromium) echo chromium ;;
        poppler-utils) echo pdftoppm ;;
        postgresql) echo initdb ;;
        ffmpeg) echo ffmpeg ;;
        *) echo "" ;;
    esac
}

is_installed() {
    local pkg="$1" status cmd
    if command -v dpkg-query >/dev/null 2>&1; then
        # `dpkg -s` also succeeds for removed-but-configured packages; require "install ok installed".
        status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
        [[ "$status" == "install ok installed" ]]
        return
    fi
    cmd="$(probe_command "$pkg")"
    if [[ -z "$cmd" ]]; then
        return 1
    fi
    if [[ "$cmd" == initdb ]]; then
        command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
        return
    fi
    command -v "$cmd" >/dev/null 2>&1
}

missing=()
for pkg in "${packages[@]}"; do
    if ! is_installed "$pkg"; then
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

if [[ $check_only -eq 1 ]]; then
    echo "system-packages: missing: ${missing[*]}"
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    echo "system-packages: WARNING: these Debian packages are missing: ${missing[*]}" >&2
    echo "system-packages: WARNING: not root, so not installing them; as root run:" >&2
    echo "    apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    echo "system-packages: WARNING: continuing; what needs them (translations, browser tests," \
        "PostgreSQL tests, PDFs, video) may fail." >&2
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "system-packages: WARNING: missing ${missing[*]}, and there is no apt-get here; install them by hand." >&2
    exit 0
fi

echo "system-packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
