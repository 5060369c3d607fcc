#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server.
#
#   scripts/with-postgres.sh CMD [ARG...]
#
# Creates a fresh cluster in a new temporary directory, starts it on a free port on 127.0.0.1
# (durability switched off for speed), creates the database `yanxiu` owned by a role `yanxiu`
# (LOGIN CREATEDB, random password; pytest-django creates test_yanxiu with it), exports
#   DATABASE_URL=postgres://yanxiu:PASSWORD@127.0.0.1:PORT/yanxiu
# runs CMD in the current directory as the current user, then always stops the server and removes
# the directory. The exit status is CMD's.
#
# PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user (runuser);
# otherwise as the current user. PG_BINDIR overrides where initdb/pg_ctl/psql are looked up.
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 CMD [ARG...]" >&2
    exit 2
fi

log() { echo "with-postgres: $*" >&2; }

# --- Find the PostgreSQL binaries -----------------------------------------------------------
find_bindir() {
    if [[ -n "${PG_BINDIR:-}" ]]; then
        echo "$PG_BINDIR"
        return
    fi
    local dir best=""
    # Highest installed major version (Debian layout); version sort so 15 beats 9.6.
    while IFS= read -r dir; do
        [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && best="$dir"
    done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V)
    if [[ -n "$best" ]]; then
        echo "$best"
        return
    fi
    local pg_ctl
    if pg_ctl="$(command -v pg_ctl)"; then
        dirname "$(readlink -f "$pg_ctl")"
        return
    fi
    return 1
}

if ! bindir="$(find_bindir)" || [[ ! -x "$bindir/initdb" || ! -x "$bindir/pg_ctl" || ! -x "$bindir/psql" ]]; then
    log "cannot find initdb, pg_ctl and psql (install the Debian package postgresql, or set PG_BINDIR)"
    exit 1
fi

# --- Who runs the server --------------------------------------------------------------------
if [[ "$(id -u)" -eq 0 ]]; then
    if ! id -u postgres >/dev/null 2>&1; then
        log "running as root but there is no 'postgres' user (install the Debian package postgresql)"
        exit 1
    fi
    pg_user=postgres
    # Root may have a private TMPDIR the postgres user cannot enter.
    tmp_parent="${YANXIU_PG_TMPDIR:-/tmp}"
else
    pg_user="$(id -un)"
    tmp_parent="${YANXIU_PG_TMPDIR:-${TMPDIR:-/tmp}}"
fi

tmp=""
server_started=0

# Run a PostgreSQL program as the server's user, from inside the temporary directory: the
# current directory may be one the postgres user cannot read.
as_pg() {
    if [[ "$(id -u)" -eq 0 ]]; then
        (cd "$tmp" && runuser -u postgres -- "$@")
    else
        (cd "$tmp" && "$@")
    fi
}

# shellcheck disable=SC2329  # invoked by the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    set +e
    if [[ $server_started -eq 1 ]]; then
        local pid=""
        pid="$(head -n1 "$tmp/data/postmaster.pid" 2>/dev/null)"
        if ! as_pg "$bindir/pg_ctl" -D "$tmp/data" -m fast -w -t 30 stop >/dev/null 2>&1; then
            as_pg "$bindir/pg_ctl" -D "$tmp/data" -m immediate -w -t 30 stop >/dev/null 2>&1
        fi
        # Last resort, then wait (at most 5 s) until the postmaster is gone, so nothing is left
        # behind when this script returns. Its pid is the first line of postmaster.pid.
        if [[ "$pid" =~ ^[0-9]+$ ]]; then
            if [[ -f "$tmp/data/postmaster.pid" ]] && kill -0 "$pid" 2>/dev/null; then
                log "server did not stop; killing postmaster $pid"
                kill -KILL "$pid" 2>/dev/null
            fi
            for _ in $(seq 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
        fi
    fi
    if [[ -n "$tmp" && -d "$tmp" ]]; then
        rm -rf -- "$tmp"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

tmp="$(mktemp -d "$tmp_parent/yanxiu-pg.XXXXXXXX")"
chmod 700 "$tmp"
mkdir "$tmp/socket"
if [[ "$(id -u)" -eq 0 ]]; then
    chown -R postgres:postgres "$tmp"
fi

# --- Create the cluster ---------------------------------------------------------------------
locale_args=(--no-locale)
if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
    locale_args=(--locale=C.UTF-8)
fi
if ! as_pg env LC_ALL=C "$bindir/initdb" -D "$tmp/data" -U postgres --encoding=UTF8 "${locale_args[@]}" \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$tmp/initdb.log" 2>&1; then
    log "initdb failed:"
    cat "$tmp/initdb.log" >&2
    exit 1
fi

# Quoted values go in the config file, so paths with spaces are fine.
socket_dir="$tmp/socket"
cat >>"$tmp/data/postgresql.conf" <<EOF

# --- scripts/with-postgres.sh: throwaway test server ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '${socket_dir//\'/\'\'}'
fsync = off
synchronous_commit = off
full_page_writes = off
# Containers often have a small /dev/shm; parallel query is no help to tests anyway.
max_parallel_workers_per_gather = 0
EOF

# --- Start it on a free port ----------------------------------------------------------------
free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 40000))
}

port=""
for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    # pg_ctl is quiet here; its log is in $tmp/postgres.log.
    if as_pg "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/postgres.log" -o "-p $port" -w -t 60 start >/dev/null 2>&1; then
        server_started=1
        break
    fi
    # If the postmaster is up but slow, it must still be stopped.
    [[ -f "$tmp/data/postmaster.pid" ]] && server_started=1
    if grep -qiE 'could not (bind|create listen)|address already in use' "$tmp/postgres.log" 2>/dev/null \
        && [[ $attempt -lt 5 ]]; then
        log "port $port was taken; trying another"
        as_pg "$bindir/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
        server_started=0
        : >"$tmp/postgres.log"
        continue
    fi
    log "PostgreSQL did not start; its log:"
    cat "$tmp/postgres.log" >&2 || true
    exit 1
done

# --- Database and role ----------------------------------------------------------------------
db_name=yanxiu
db_user=yanxiu
db_password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"

if ! as_pg "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$socket_dir" -p "$port" -U postgres -d postgres \
    >"$tmp/psql.log" 2>&1 <<SQL; then
CREATE ROLE ${db_user} LOGIN CREATEDB PASSWORD '${db_password}';
CREATE DATABASE ${db_name} OWNER ${db_user} ENCODING 'UTF8' TEMPLATE template0;
SQL
    log "could not create the role and database:"
    cat "$tmp/psql.log" >&2
    exit 1
fi

export DATABASE_URL="postgres://${db_user}:${db_password}@127.0.0.1:${port}/${db_name}"
pg_version="$("$bindir/pg_ctl" --version | grep -oE '[0-9]+(\.[0-9]+)+' | head -n1 || true)"
log "PostgreSQL $pg_version on 127.0.0.1:$port (server user $pg_user, data in $tmp)"

# --- Run the command ------------------------------------------------------------------------
set +e
"$@"
rc=$?
set -e
exit "$rc"
