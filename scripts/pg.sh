#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite.
#
#   scripts/pg.sh start   # prints postgresql+psycopg://postgres@127.0.0.1:PORT/loanpilot_test
#   scripts/pg.sh stop    # stops it and removes its files
#
# The server lives in a fresh temporary directory (data, socket and log), listens on a free
# TCP port on 127.0.0.1 only, trusts every local connection and runs with fsync off: it is
# for tests, never for data you want to keep. Its state (directory, port, binaries) is kept
# in the file named by PG_STATE (default /tmp/loanpilot-pg.state) so that `stop` finds it.
#
# If initdb/pg_ctl are missing (neither on PATH nor under /usr/lib/postgresql/*/bin), Debian's
# `postgresql` package is installed with apt-get (needs root). PostgreSQL refuses to run as
# root, so as root the server runs as the `postgres` system user.
#
# `start` writes the URL, and nothing else, to stdout; all diagnostics go to stderr.
set -euo pipefail

PG_STATE="${PG_STATE:-/tmp/loanpilot-pg.state}"
PG_DB="loanpilot_test"
PG_SUPERUSER="postgres"
PG_START_TIMEOUT="${PG_START_TIMEOUT:-60}"

log() { printf 'pg.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Directory holding initdb, pg_ctl, pg_isready and psql of one PostgreSQL version.
find_bindir() {
    local candidate dir
    if candidate="$(command -v pg_ctl 2>/dev/null)" && command -v initdb >/dev/null 2>&1; then
        dir="$(dirname "$(readlink -f "$candidate")")"
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
            printf '%s\n' "$dir"
            return 0
        fi
    fi
    # Debian keeps server binaries off PATH, one directory per major version: take the newest.
    local best="" best_version=-1 version
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] || continue
        version="$(basename "$(dirname "$dir")")"
        version="${version%%.*}"
        [[ "$version" =~ ^[0-9]+$ ]] || version=0
        if ((version > best_version)); then
            best="$dir"
            best_version="$version"
        fi
    done
    [[ -n "$best" ]] || return 1
    printf '%s\n' "$best"
}

install_postgresql() {
    [[ "$(id -u)" -eq 0 ]] || die "initdb/pg_ctl not found and not root: install PostgreSQL (apt-get install postgresql) or put its bin directory on PATH"
    command -v apt-get >/dev/null 2>&1 || die "initdb/pg_ctl not found and apt-get is unavailable: install PostgreSQL first"
    log "initdb/pg_ctl not found; installing Debian's postgresql package"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Run a server binary as the user that owns the cluster.
as_owner() {
    if [[ -n "${RUN_AS:-}" ]]; then
        (cd / && runuser -u "$RUN_AS" -- "$@")
    else
        "$@"
    fi
}

# Is process $1 running (a zombie, dead but not yet reaped, does not count)?
alive() {
    [[ "$1" =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null || return 1
    if [[ -r "/proc/$1/stat" ]]; then
        local stat
        stat="$(<"/proc/$1/stat")"
        stat="${stat##*) }"
        [[ "${stat:0:1}" != "Z" ]] || return 1
    fi
    return 0
}

# Stop the server in directory $1 (if it runs) and delete the directory.
teardown() {
    local dir="$1"
    [[ -n "$dir" && -d "$dir" ]] || return 0
    if [[ -f "$dir/data/postmaster.pid" && -n "${BINDIR:-}" && -x "$BINDIR/pg_ctl" ]]; then
        as_owner "$BINDIR/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    # A postmaster that survived pg_ctl (or a missing pg_ctl) is killed by its pid file.
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        local pid
        pid="$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)"
        if alive "$pid"; then
            kill -QUIT "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do
                alive "$pid" || break
                sleep 0.1
            done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf -- "$dir"
}

write_state() {
    local tmp="$PG_STATE.tmp.$$"
    {
        printf 'PG_DIR=%q\n' "$PG_DIR"
        printf 'PG_PORT=%q\n' "${PG_PORT:-}"
        printf 'BINDIR=%q\n' "${BINDIR:-}"
        printf 'RUN_AS=%q\n' "${RUN_AS:-}"
    } >"$tmp"
    mv -f -- "$tmp" "$PG_STATE"
}

read_state() {
    PG_DIR="" PG_PORT="" BINDIR="" RUN_AS=""
    [[ -s "$PG_STATE" ]] || return 1
    local key value
    while IFS='=' read -r key value; do
        case "$key" in
            # Values were written with printf %q, so eval only undoes that quoting.
            PG_DIR | PG_PORT | BINDIR | RUN_AS) eval "$key=$value" ;;
            *) ;;
        esac
    done <"$PG_STATE"
    [[ -n "$PG_DIR" ]]
}

cmd_stop() {
    if ! read_state; then
        log "no server recorded in $PG_STATE; nothing to stop"
        rm -f -- "$PG_STATE"
        return 0
    fi
    teardown "$PG_DIR"
    rm -f -- "$PG_STATE"
    log "stopped the server on port ${PG_PORT:-?} and removed $PG_DIR"
}

cmd_start() {
    if read_state; then
        if [[ -f "$PG_DIR/data/postmaster.pid" ]] \
            && alive "$(head -n 1 "$PG_DIR/data/postmaster.pid")"; then
            die "a server is already running per $PG_STATE (port $PG_PORT, $PG_DIR): run '$0 stop' first"
        fi
        log "removing the stale server left in $PG_DIR"
        teardown "$PG_DIR"
        rm -f -- "$PG_STATE"
    fi

    BINDIR="$(find_bindir)" || { install_postgresql; BINDIR="$(find_bindir)"; } \
        || die "PostgreSQL was installed but initdb/pg_ctl are still not found"

    RUN_AS=""
    if [[ "$(id -u)" -eq 0 ]]; then
        RUN_AS="postgres"
        if ! id -u "$RUN_AS" >/dev/null 2>&1; then
            useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash "$RUN_AS"
        fi
    fi

    # Under /tmp (not $TMPDIR): the postgres user must reach it, and the socket path must be short.
    PG_DIR="$(mktemp -d /tmp/loanpilot-pg.XXXXXXXX)"
    PG_PORT=""
    # Recorded at once, so that `stop` cleans up even if start is interrupted from here on.
    write_state
    trap 'status=$?; if ((status != 0)); then teardown "$PG_DIR"; rm -f -- "$PG_STATE"; fi' EXIT
    chmod 0700 "$PG_DIR"
    [[ -z "$RUN_AS" ]] || chown "$RUN_AS:" "$PG_DIR"

    local log_file="$PG_DIR/server.log"
    if ! as_owner "$BINDIR/initdb" -D "$PG_DIR/data" -U "$PG_SUPERUSER" -A trust -E UTF8 \
        --locale=C --no-sync >"$PG_DIR/initdb.log" 2>&1; then
        cat "$PG_DIR/initdb.log" >&2
        die "initdb failed"
    fi

    local attempt ready
    for attempt in 1 2 3; do
        PG_PORT="$(free_port)"
        write_state
        as_owner "$BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$log_file" -W start -o \
            "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
            >/dev/null 2>&1 || true
        ready=0
        for _ in $(seq 1 $((PG_START_TIMEOUT * 5))); do
            if "$BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres; then
                ready=1
                break
            fi
            # Gave up already (e.g. the port was taken meanwhile): no point in waiting.
            if [[ ! -f "$PG_DIR/data/postmaster.pid" ]] && grep -q 'FATAL' "$log_file" 2>/dev/null; then
                break
            fi
            sleep 0.2
        done
        ((ready)) && break
        log "attempt $attempt: the server did not become ready on port $PG_PORT; its log:"
        sed 's/^/    /' "$log_file" >&2 2>/dev/null || true
        as_owner "$BINDIR/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
        : >"$log_file"
    done
    ((ready)) || die "PostgreSQL did not start within ${PG_START_TIMEOUT}s (3 attempts); see the log above"

    if ! "$BINDIR/psql" -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$PG_SUPERUSER" \
        -d postgres -c "CREATE DATABASE $PG_DB" >&2; then
        die "could not create database $PG_DB"
    fi

    trap - EXIT
    log "PostgreSQL $("$BINDIR/pg_ctl" --version | awk '{print $3}') running on 127.0.0.1:$PG_PORT in $PG_DIR (state: $PG_STATE)"
    printf 'postgresql+psycopg://%s@127.0.0.1:%s/%s\n' "$PG_SUPERUSER" "$PG_PORT" "$PG_DB"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    *)
        echo "usage: $0 start|stop   (state file: \$PG_STATE, default /tmp/loanpilot-pg.state)" >&2
        exit 2
        ;;
esac
