#!/bin/bash
# Soak test (issue 20): Chorus under the benchmark's mixed workload for ten
# minutes, readers at full speed and an editor writing, sampling the server's
# RSS and counting every error. Passes when nothing failed and the RSS at the
# end is within 10 % of the RSS after the first minute.
#
#   bench/soak.sh                          # from the repo root; Linux only
#   D=120 bench/soak.sh                    # a short rehearsal
#
# The load is the benchmark's own (bench/run.sh, docs/PERFORMANCE.md): the
# kit's mixed workload (list, by-slug and search-like bodies from
# mixed_bodies.py) through wrk with C connections, as fast as the server
# answers, so the soak runs at the load the benchmark sustains; beside it the
# kit's editor (writer.py) saves a draft RATE times a second, which changes
# the archive and ends cached answers all along.
#
# Needs what bench/run.sh needs (PostgreSQL on 127.0.0.1:5432 with trust auth
# for `postgres` when BACKEND=postgres, Python 3, wrk); drops and recreates the
# database `chorus_soak`, or a SQLite file in a temp directory.
#
# Environment (defaults in brackets):
#   D           seconds of load [600]
#   C, T        wrk connections and threads [32, 1]
#   RATE        the editor's writes per second [1]
#   STORIES     stories seeded [10000]
#   BACKEND     postgres | sqlite [postgres]
#   CACHE       Chorus's response cache: on | off [on]
#   EVERY       seconds between RSS samples [5]
#   SKIP_BUILD=1  use the existing release binary ($CARGO_TARGET_DIR or target/)
#   BENCH_KIT   the shared kit [../shared/bench or ../../shared/bench]
#   PG_URL      server URL without database [postgres://postgres@127.0.0.1:5432]
#   PORT        Chorus's port [8071]
# Output: target/bench/soak-<time>.tsv (seconds since the load began, RSS in
# KiB, the server's CPU seconds, and whether a scrape of /metrics answered) and target/bench/soak-<time>.md (the summary,
# also printed). Exit status 1 when the soak failed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/kit.sh
. "$ROOT/bench/kit.sh"
D=${D:-600} C=${C:-32} T=${T:-1} RATE=${RATE:-1} STORIES=${STORIES:-10000}
BACKEND=${BACKEND:-postgres} CACHE=${CACHE:-on} EVERY=${EVERY:-5}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
PORT=${PORT:-8071}
CHORUS=${CHORUS_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/chorus}
URL=http://127.0.0.1:$PORT/graphql
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
TSV=$OUT/soak-$STAMP.tsv
SUMMARY=$OUT/soak-$STAMP.md
WORK=$(mktemp -d /tmp/chorus-soak.XXXXXX)
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
log() { echo "== $*" >&2; }

command -v wrk >/dev/null || apt-get install -y wrk
[ "${SKIP_BUILD:-}" = 1 ] || (cd "$ROOT" && cargo build --release)
copy_kit

# As in bench/run.sh: a fixed key for seeding and serving, per-key rate limits
# far above what wrk sends, and the kit's editor account.
unset CHORUS_ENV CHORUS_DATABASE_URL
export CHORUS_ENCRYPTION_KEY CHORUS_JWT_SECRET EDITOR_PASSWORD
CHORUS_ENCRYPTION_KEY=$("$CHORUS" keys generate)
CHORUS_JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
EDITOR_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
export CHORUS_BIND=127.0.0.1:$PORT CHORUS_DEMO=false CHORUS_DATA_DIR=$WORK/data
export CHORUS_API_KEY_RATE=1000000 CHORUS_API_KEY_BURST=1000000
# Scraped with every sample, as Prometheus would: the metrics run under load too.
export CHORUS_METRICS_TOKEN
CHORUS_METRICS_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
export EDITOR_EMAIL=soak-editor@chorus.example
case $CACHE in
on) ;;
off) export CHORUS_RESPONSE_CACHE_BYTES=0 ;;
*) echo "CACHE must be on or off" >&2 && exit 2 ;;
esac
case $BACKEND in
postgres)
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS chorus_soak WITH (FORCE)"
    psql "$PG_URL/postgres" -qc "CREATE DATABASE chorus_soak"
    export CHORUS_DATABASE_URL=$PG_URL/chorus_soak
    ;;
sqlite) ;; # the embedded default under CHORUS_DATA_DIR
*) echo "BACKEND must be postgres or sqlite" >&2 && exit 2 ;;
esac
mkdir -p "$CHORUS_DATA_DIR"

log "seeding $STORIES stories on $BACKEND"
"$CHORUS" bench seed --stories "$STORIES" >"$WORK/seed.out"
KEY=$(sed -n 's/^bench API key (PUBLIC_WEB): //p' "$WORK/seed.out")
printf '%s\n' "$EDITOR_PASSWORD" | "$CHORUS" user create --email "$EDITOR_EMAIL" --role EDITOR >&2

"$CHORUS" >"$WORK/server.log" 2>&1 &
SERVER=$!
PIDS+=("$SERVER")
for _ in $(seq 1 300); do
    curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{}' "$URL" && break
    sleep 0.2
done
SLUG_MAX=$STORIES python3 "$KIT/mixed_bodies.py" chorus "$URL" "$WORK/mixed.jsonl" "$KEY" >&2
sed -i 's/sources { variant url }/sources(variants: [\\"w800.webp\\"]) { url }/g' "$WORK/mixed.jsonl"

# RSS and CPU every EVERY seconds, from the moment the load begins.
HZ=$(getconf CLK_TCK)
BEGAN=$(date +%s)
(
    printf 'seconds\trss_kib\tcpu_s\tscrape\n'
    while kill -0 "$SERVER" 2>/dev/null; do
        rss=$(awk '/^VmRSS/{print $2}' "/proc/$SERVER/status" 2>/dev/null || echo 0)
        cpu=$(awk -v hz="$HZ" '{printf "%.1f", ($14+$15)/hz}' "/proc/$SERVER/stat" 2>/dev/null || echo 0)
        scrape=$(curl -s -o /dev/null -w '%{http_code}' -m 5 \
            -H "Authorization: Bearer $CHORUS_METRICS_TOKEN" "http://127.0.0.1:$PORT/metrics" || true)
        printf '%s\t%s\t%s\t%s\n' "$(($(date +%s) - BEGAN))" "$rss" "$cpu" "$scrape"
        sleep "$EVERY"
    done
) >"$TSV" &
PIDS+=("$!")

RATE=$RATE python3 "$KIT/writer.py" chorus "$URL" >"$WORK/writer.out" 2>"$WORK/writer.err" &
WRITER=$!
PIDS+=("$WRITER")
log "soaking for $D s: c=$C, $RATE write(s)/s, cache $CACHE"
RESULT=$(API_KEY=$KEY SLUG_MAX=$STORIES BODIES_FILE=$WORK/mixed.jsonl C=$C T=$T D=$D WARM=0 \
    MIN_BODY=${MIN_BODY:-100} "$KIT/run_wrk.sh" "soak/$BACKEND/cache-$CACHE@$RATE" "$URL" \
    "$KIT/gql_lines.lua" "$WORK/mixed.jsonl" "$SERVER")
echo "$RESULT" >&2
kill "$WRITER" 2>/dev/null || true
wait "$WRITER" 2>/dev/null || true
sleep "$EVERY" # one more sample after the load

field() { { grep -oP "(^| )$2=\K[^ ]+" <<<"$1" || true; } | head -1; }
R=$(grep '^RESULT.*server_cpu' <<<"$RESULT")
e=$(field "$R" errors) n=$(field "$R" non2xx) s=$(field "$R" short)
wrk_errors=$((${e:-1} + ${n:-0} + ${s:-0}))
read -r writes_ok writes_failed < <(tail -1 "$WORK/writer.out" | python3 -c 'import json,sys
try:
    d = json.loads(sys.stdin.read()); print(d["writes_ok"], sum(d["failed"].values()))
except Exception:
    print(0, 1)')
# Lines the server logged at ERROR level (a panic or an internal error).
server_errors=$(sed 's/\x1b\[[0-9;]*m//g' "$WORK/server.log" | grep -c ' ERROR \|"level":"ERROR"\|panicked' || true)
rss_first=$(awk -F'\t' 'NR > 1 && $1 >= 60 { print $2; exit }' "$TSV")
rss_end=$(awk -F'\t' -v d="$D" 'NR > 1 && $1 <= d { v = $2 } END { print v }' "$TSV")
rss_max=$(awk -F'\t' 'NR > 1 && $2 > m { m = $2 } END { print m }' "$TSV")
drift=$(python3 -c "print(f'{($rss_end - $rss_first) * 100 / $rss_first:+.1f}')")
scrape_errors=$(awk -F'\t' 'NR > 1 && $4 != "200"' "$TSV" | wc -l)
scrapes=$(($(wc -l <"$TSV") - 1))
errors=$((wrk_errors + writes_failed + server_errors + scrape_errors))
verdict=passed
if [ "$errors" -ne 0 ] || python3 -c "import sys; sys.exit(abs($drift) <= 10)"; then verdict=FAILED; fi

{
    echo "# Soak $STAMP: $verdict"
    echo
    echo "Chorus $(git -C "$ROOT" rev-parse --short HEAD) on $BACKEND, cache $CACHE, $STORIES stories;"
    echo "$D s of the mixed workload at c=$C, the editor at $RATE write(s)/s."
    echo
    echo "| figure | value |"
    echo "|---|---|"
    echo "| requests | $(field "$R" reqs) ($(field "$R" rps) req/s, p50 $(field "$R" p50_ms) ms, p99 $(field "$R" p99_ms) ms) |"
    echo "| editor's writes | $writes_ok saved, $writes_failed failed |"
    echo "| errors | $errors (wrk $wrk_errors, editor $writes_failed, server log $server_errors, /metrics scrapes $scrape_errors of $scrapes) |"
    echo "| RSS after the first minute | $rss_first KiB |"
    echo "| RSS at the end | $rss_end KiB ($drift %) |"
    echo "| highest RSS sampled | $rss_max KiB |"
    echo "| server CPU per request | $(field "$R" server_cpu_ms_per_req) ms |"
    echo
    echo "Samples: $TSV"
} | tee "$SUMMARY"
[ "$verdict" = passed ]
