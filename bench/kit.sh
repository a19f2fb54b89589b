# Sourced by bench/run.sh and bench/soak.sh: where the shared benchmark kit is,
# and its working copy. The kit is read-only, so it is copied (without
# node_modules) to target/bench/kit, where its scripts write their logs and
# results. Expects ROOT (the repository) to be set.

if [ -n "${BENCH_KIT:-}" ]; then
    KIT_SRC=$(cd "$BENCH_KIT" && pwd)
elif [ -d "$ROOT/../shared/bench" ]; then
    KIT_SRC=$(cd "$ROOT/../shared/bench" && pwd)
else
    KIT_SRC=$(cd "$ROOT/../../shared/bench" && pwd)
fi
OUT=$ROOT/target/bench
KIT=$OUT/kit

copy_kit() {
    mkdir -p "$KIT" "$OUT"
    rsync -a --chmod=u+w --exclude node_modules --exclude results.tsv --exclude pgbench_logs \
        "$KIT_SRC/" "$KIT/"
    # mixed_bodies.py reads each dialect's by-slug body from the kit's queries/.
    cp "$ROOT/bench/queries/chorus_by_slug.tmpl.json" "$KIT/queries/"
}
