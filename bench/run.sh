#!/bin/bash
# Consumer-API benchmark (issue 6, item 8): Chorus against PostGraphile 4 on the
# same machine, data shape and queries, run back to back: peer, Chorus on
# PostgreSQL, peer again, Chorus on SQLite. See docs/PERFORMANCE.md.
#
#   bench/run.sh                      # from the repository root; Linux only
#
# Needs PostgreSQL on 127.0.0.1:5432 with trust auth for `postgres`, Node and npm
# (for the peer), and wrk (installed with apt-get if missing). Each run drops and
# recreates the databases `chorus_bench` (Chorus) and `storybench` (the peer) and
# a SQLite file in a temp directory, so it can be repeated.
#
# Environment:
#   BENCH_KIT   the shared kit (default ../shared/bench from the repo root)
#   PG_URL      server URL without database (default postgres://postgres@127.0.0.1:5432)
#   PORT        Chorus's port (default 8070); the peer uses 5000
#   SKIP_BUILD=1  use the existing target/release/chorus
#   C, D, T, WARM  passed on to the kit's run_wrk.sh (32 connections, 15 s, 1 thread, 5 s)
# Output: the kit's run_wrk.sh lines, and a summary in target/bench/consumer-<time>.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
KIT=$(cd "${BENCH_KIT:-$ROOT/../shared/bench}" && pwd)
OURS=$ROOT/bench
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-8070}
CHORUS=$ROOT/target/release/chorus
URL=http://127.0.0.1:$PORT/graphql
PEER_URL=http://127.0.0.1:5000/graphql
WORK=$(mktemp -d /tmp/chorus-bench.XXXXXX)
mkdir -p "$ROOT/target/bench"
SUMMARY=$ROOT/target/bench/consumer-$(date -u +%Y%m%dT%H%M%SZ).md
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

log() { echo "== $*" >&2; }

wait_for() { # URL: until a POST answers (any HTTP status)
    for _ in $(seq 1 100); do
        curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{}' "$1" && return 0
        sleep 0.2
    done
    echo "nothing answers at $1" >&2
    return 1
}

# --- tools and builds --------------------------------------------------------
command -v wrk >/dev/null || apt-get install -y wrk
[ "${SKIP_BUILD:-}" = 1 ] || (cd "$ROOT" && cargo build --release)
[ -d "$KIT/peers/pg/node_modules" ] || (cd "$KIT/peers/pg" && npm ci)

# --- the peer's database (the kit's README) ----------------------------------
log "peer database storybench"
psql "$PG_URL/postgres" -qtAc "SELECT 1 FROM pg_roles WHERE rolname = 'bench'" | grep -q 1 ||
    psql "$PG_URL/postgres" -qc "CREATE ROLE bench LOGIN PASSWORD 'bench' SUPERUSER"
psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS storybench WITH (FORCE)"
psql "$PG_URL/postgres" -qc "CREATE DATABASE storybench OWNER bench"
PGPASSWORD=bench psql -h 127.0.0.1 -U bench storybench -q -f "$KIT/schema.sql"
PGPASSWORD=bench psql -h 127.0.0.1 -U bench storybench -q -f "$KIT/seed.sql"

# --- Chorus's databases ------------------------------------------------------
# Settings shared by seeding and serving: a fixed encryption key (the seed
# encrypts with it), a JWT secret, no production mode, and per-key rate limits
# far above what wrk sends (they would otherwise answer RATE_LIMITED).
unset CHORUS_ENV CHORUS_DATABASE_URL
export CHORUS_ENCRYPTION_KEY
CHORUS_ENCRYPTION_KEY=$("$CHORUS" keys generate)
export CHORUS_JWT_SECRET
CHORUS_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export CHORUS_BIND=127.0.0.1:$PORT CHORUS_DEMO=false
export CHORUS_API_KEY_RATE=1000000 CHORUS_API_KEY_BURST=1000000

RESULTS=()
seed() { # NAME DATABASE_URL: seeds; the API key goes to $WORK/NAME.key
    local start=$SECONDS
    CHORUS_DATA_DIR=$WORK/$1 CHORUS_DATABASE_URL=$2 "$CHORUS" bench seed >"$WORK/$1.seed"
    grep -v '^bench API key' "$WORK/$1.seed" >&2
    sed -n 's/^bench API key (PUBLIC_WEB): //p' "$WORK/$1.seed" >"$WORK/$1.key"
    RESULTS+=("chorus-$1 seeding: $((SECONDS - start)) s")
}

log "Chorus on PostgreSQL: database chorus_bench"
psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS chorus_bench WITH (FORCE)"
psql "$PG_URL/postgres" -qc "CREATE DATABASE chorus_bench"
mkdir -p "$WORK/postgres" "$WORK/sqlite"
# Without TLS, as the peer connects (node-postgres's default): both talk to
# PostgreSQL on 127.0.0.1.
PG_DB="$PG_URL/chorus_bench?sslmode=disable"
seed postgres "$PG_DB"
PG_KEY=$(cat "$WORK/postgres.key")

log "Chorus on SQLite: $WORK/sqlite/chorus.db"
SQLITE_DB="sqlite://$WORK/sqlite/chorus.db?mode=rwc"
seed sqlite "$SQLITE_DB"
SQLITE_KEY=$(cat "$WORK/sqlite.key")

# --- measurements ------------------------------------------------------------
measure() { # LABEL URL LUA BODY PID [API_KEY]
    # Through a file: `tee /dev/stderr` would reopen (and truncate) a redirected log.
    API_KEY=${6:-} LUA_INNER=$(basename "$3") "$KIT/run_wrk.sh" "$1" "$2" \
        "$( [ -n "${6:-}" ] && echo "$OURS/api_key.lua" || echo "$3")" "$4" "$5" >"$WORK/wrk.out"
    cat "$WORK/wrk.out" >&2
    RESULTS+=("$1 $(grep '^RESULT.*server_cpu' "$WORK/wrk.out")")
}

check() { # URL BODY API_KEY EXPECT: one request, fails on GraphQL errors
    local body
    body=$(curl -sf -X POST -H 'Content-Type: application/json' -H "X-Api-Key: $3" \
        --data-binary "@$2" "$1")
    if echo "$body" | grep -q '"errors"' || ! echo "$body" | grep -q "$4"; then
        echo "unexpected answer from $1: ${body:0:400}" >&2
        return 1
    fi
    echo "  ${#body} bytes" >&2
}

peer() { # ROUND
    log "PostGraphile 4, round $1"
    "$KIT/run-postgraphile.sh" >"$WORK/peer.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    wait_for "$PEER_URL"
    measure "postgraphile4:list#$1" "$PEER_URL" "$KIT/gql_fixed.lua" \
        "$KIT/queries/postgraphile_list.json" "$pid"
    measure "postgraphile4:by_slug#$1" "$PEER_URL" "$KIT/gql_slug.lua" \
        "$KIT/queries/postgraphile_by_slug.tmpl.json" "$pid"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
}

chorus() { # NAME DATABASE_URL API_KEY
    log "Chorus on $1"
    CHORUS_DATA_DIR=$WORK/$1 CHORUS_DATABASE_URL=$2 "$CHORUS" serve >"$WORK/chorus-$1.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    wait_for "$URL"
    sed "s/__SLUG__/story-3/" "$OURS/queries/chorus_by_slug.tmpl.json" >"$WORK/slug.json"
    check "$URL" "$OURS/queries/chorus_list.json" "$3" '"slug":"story-'
    check "$URL" "$WORK/slug.json" "$3" '"name":"teller_4"'
    measure "chorus-$1:list" "$URL" "$KIT/gql_fixed.lua" \
        "$OURS/queries/chorus_list.json" "$pid" "$3"
    measure "chorus-$1:by_slug" "$URL" "$KIT/gql_slug.lua" \
        "$OURS/queries/chorus_by_slug.tmpl.json" "$pid" "$3"
    local hwm
    hwm=$(awk '/^VmHWM/{print $2, $3}' "/proc/$pid/status")
    RESULTS+=("chorus-$1 peak RSS (VmHWM): $hwm")
    log "Chorus on $1: peak RSS $hwm"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
}

peer 1
chorus postgres "$PG_DB" "$PG_KEY"
peer 2
chorus sqlite "$SQLITE_DB" "$SQLITE_KEY"

{
    echo "# Consumer API benchmark, $(date -u +%FT%TZ)"
    echo
    echo "- machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.1f GB", $2/1048576}' /proc/meminfo), $(uname -sr)"
    echo "- Chorus $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?') (working tree), PostgreSQL $(psql "$PG_URL/postgres" -qtAc 'SHOW server_version'), Node $(node --version)"
    echo "- wrk: c=${C:-32}, t=${T:-1}, ${D:-15} s after a ${WARM:-5} s warm-up"
    echo
    for r in "${RESULTS[@]}"; do echo "    $r"; done
} | tee "$SUMMARY"
log "summary: $SUMMARY"
