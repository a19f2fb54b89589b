#!/usr/bin/env python3
"""The benchmark matrix's summary (bench/run.sh): markdown tables ready to paste
into docs/PERFORMANCE.md, from the rows run.sh wrote (one TSV row per run).

usage: summarize.py MATRIX.tsv

Ratios come from the same scale of the same run: Chorus ÷ PostGraphile 4 and
÷ PostGraphile 5 (the rounds next to Chorus's), the fraction of the pgbench
limit for the same query, and the mixed workload with writes ÷ without.
"""
import csv
import sys


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(v, digits=0):
    v = num(v)
    if v is None:
        return "–"
    return f"{v:,.{digits}f}"


def ratio(a, b, digits=2):
    a, b = num(a), num(b)
    if a is None or not b:
        return "–"
    return f"{a / b:.{digits}f}"


rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
scales = sorted({int(r["scale"]) for r in rows})

for scale in scales:
    at = [r for r in rows if int(r["scale"]) == scale]
    print(f"## {scale:,} stories\n")
    print("| server | cache | workload | writes/s | req/s | p50 ms | p99 ms | server CPU ms/req "
          "| PostgreSQL CPU ms/req | bytes/answer | statements/req | xacts/req | peak RSS MB | errors | writer |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in at:
        rss = num(r["peak_rss_kib"])
        rss = f"{rss / 1024:.0f}" if rss else "–"
        print(f"| {r['server']} | {r['cache']} | {r['workload']} | {r['writes_per_s']} "
              f"| {fmt(r['rps'])} | {fmt(r['p50_ms'], 1)} | {fmt(r['p99_ms'], 1)} "
              f"| {fmt(r['server_cpu_ms'], 2)} | {fmt(r['pg_cpu_ms'], 2)} | {fmt(r['bytes'])} "
              f"| {'n/a' if r['statements'] in ('', '-') else r['statements']} | {r['xacts'] or '–'} | {rss} | {r['errors'] or '0'} "
              f"| {r['writer'] or ''} |")
    print()

    def rps(server, cache, workload, rate="0"):
        for r in at:
            if (r["server"], r["cache"], r["workload"], r["writes_per_s"]) == (server, cache, workload, rate):
                return r["rps"]
        return None

    chorus = sorted({(r["server"], r["cache"]) for r in at if r["server"].startswith("chorus")})
    if chorus:
        print(f"Ratios at {scale:,} stories (req/s over req/s, same run):\n")
        print("| Chorus | cache | workload | writes/s | ÷ PostGraphile 4 | ÷ PostGraphile 5 | of pgbench limit |")
        print("|---|---|---|---:|---:|---:|---:|")
        for server, cache in chorus:
            for r in at:
                if (r["server"], r["cache"]) != (server, cache):
                    continue
                w, rate = r["workload"], r["writes_per_s"]
                limit = rps("pgbench", "-", w) if w in ("list", "by_slug") else None
                print(f"| {server} | {cache} | {w} | {rate} "
                      f"| {ratio(r['rps'], rps('postgraphile4', '-', w, rate))} "
                      f"| {ratio(r['rps'], rps('postgraphile5', '-', w, rate))} "
                      f"| {ratio(r['rps'], limit)} |")
        print()
    servers = sorted({(r["server"], r["cache"]) for r in at if r["workload"] == "mixed"})
    if servers:
        print(f"The mixed workload with writes ÷ without, at {scale:,} stories:\n")
        print("| server | cache | 1 write/s ÷ 0 | 10 writes/s ÷ 0 |")
        print("|---|---|---:|---:|")
        for server, cache in servers:
            base = rps(server, cache, "mixed")
            print(f"| {server} | {cache} | {ratio(rps(server, cache, 'mixed', '1'), base)} "
                  f"| {ratio(rps(server, cache, 'mixed', '10'), base)} |")
        print()
