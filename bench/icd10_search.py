#!/usr/bin/env python
"""ICD-10-CM search benchmark on PostgreSQL, over the full catalogue (98,147 codes).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ehr \\
        .venv/bin/python bench/icd10_search.py

Works in its own database (`ehr_icd10_bench` on the server of DATABASE_URL; created if
missing, dropped and recreated with --fresh), migrates it, loads the catalogue once
(`load_icd10`), ANALYZEs, then times `clinical.selectors.diagnosis_code_search(term)`
(what the search box runs) for typical terms against a floor (one code by its primary
key index): the round trip in Django (median, p95) and the database time (the sum of
the `Execution Time` EXPLAIN ANALYZE reports for each query the search ran, median).

Figures are printed and written to bench/results/icd10_search-<timestamp>.txt.
"""

import argparse
import statistics
import sys
import time
from datetime import datetime

from patient_search import ROOT, Report, bench_url, ensure_database, setup_django

# (term, what it exercises)
TERMS = [
    ("E11", "code prefix"),
    ("diabetes", "one word, 647 titles"),
    ("type 2 diabetes", "three words"),
    ("hypertension", "one word"),
    ("heart failure", "two words"),
    ("T2DM", "synonym"),
    ("high blood pressure", "synonym phrase"),
    ("CAP", "synonym, short"),
    ("t2dm nephropathy", "synonym and a word"),
    ("pneumonia organism", "full and partial matches"),
    ("acute appendicitis gangrenous", "partial matches"),
    ("chest pain exertion", "partial matches, common words"),
    ("fracture femur", "two common words"),
]
BUDGET_MS = 25  # QUALITY.md: a 3+ character search term, database time


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="ehr_icd10_bench", help="database to work in")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    parser.add_argument("--repetitions", type=int, default=50, help="timed runs per term")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs per term")
    parser.add_argument("--explains", type=int, default=10, help="EXPLAIN ANALYZE runs per term")
    return parser.parse_args()


def round_trips(run, repetitions, warmup):
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repetitions):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def database_ms(run, explains):
    """Median over `explains` runs of the summed Execution Time of the queries `run` makes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run()
    statements = [q["sql"] for q in captured.captured_queries]
    totals = []
    with connection.cursor() as cursor:
        for _ in range(explains):
            total = 0.0
            for statement in statements:
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}")
                total += cursor.fetchone()[0][0]["Execution Time"]
            totals.append(total)
    return statistics.median(totals), len(statements)


def main():
    args = parse_args()
    say = Report()
    server_url, url = bench_url(args.database)
    ensure_database(server_url, args.database, args.fresh, say)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    from clinical import selectors
    from clinical.models import DiagnosisCode

    call_command("migrate", verbosity=0)
    call_command("load_icd10", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE clinical_diagnosiscode")
    say(
        f"ICD-10-CM search, PostgreSQL, {DiagnosisCode.objects.count():,} codes, "
        f"{datetime.now():%Y-%m-%d %H:%M}"
    )
    say(
        f"{args.repetitions} runs after {args.warmup} warm-up runs; "
        f"db ms: median of {args.explains}"
    )

    def floor():
        return list(DiagnosisCode.objects.filter(code="I10"))

    floor_median, floor_p95 = round_trips(floor, args.repetitions, args.warmup)
    floor_db, _ = database_ms(floor, args.explains)
    say(
        f"{'floor (one code by code)':34} round trip {floor_median:6.2f} ms "
        f"(p95 {floor_p95:6.2f}) db {floor_db:6.2f} ms"
    )
    say()
    say(
        f"{'term':34} {'round trip ms':>13} {'p95':>7} {'x floor':>8} {'db ms':>7} "
        f"{'queries':>7}  first result"
    )
    for term, _what in TERMS:

        def run(term=term):
            return selectors.diagnosis_code_search(term)

        median, p95 = round_trips(run, args.repetitions, args.warmup)
        db_ms, queries = database_ms(run, args.explains)
        first = run()
        top = f"{first[0].code} {first[0].title[:40]}" if first else "(none)"
        verdict = "ok" if db_ms <= BUDGET_MS else "MISSES BUDGET"
        say(
            f"{term!r:34} {median:13.2f} {p95:7.2f} {median / floor_median:8.1f} {db_ms:7.2f} "
            f"{queries:7d}  {top}  [{verdict}]"
        )
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    say.save(ROOT / "bench" / "results" / f"icd10_search-{stamp}.txt")


if __name__ == "__main__":
    sys.exit(main())
