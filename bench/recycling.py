#!/usr/bin/env python
"""Worker recycling under keep-alive clients: throughput and how the work spreads.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ehr \\
        .venv/bin/python bench/recycling.py --database ehr_bench_pages --seconds 60 \\
        --max-requests 0,1000

For each max_requests value, starts gunicorn with deploy/gunicorn.conf.py
(GUNICORN_MAX_REQUESTS) and the production settings of bench/pages.py, runs wrk with
keep-alive connections against the floor page for --seconds, and reads each worker's CPU
from /proc every second. Prints req/s, p99 and the share of the CPU the busiest worker
took, per second (0.5: even; 1.0: one worker did everything), and the workers' memory.
The database must exist (bench/pages.py builds it).
"""

import argparse
import os
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import pages  # noqa: E402
from bed_board import bench_url  # noqa: E402


def worker_ticks(master_pid):
    """{pid: (cpu ticks, rss kB)} of the master's living workers."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    result = {}
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
            result[pid] = (int(fields[11]) + int(fields[12]), rss)
        except FileNotFoundError:
            continue
    return result


def run(args, max_requests, cookie, env, say):
    env = {**env, "GUNICORN_MAX_REQUESTS": str(max_requests)}
    server = pages.start_gunicorn(args, env, say)
    try:
        shares, rss, stop = [], {}, threading.Event()

        def sample():
            before = worker_ticks(server.pid)
            while not stop.wait(1.0):
                now = worker_ticks(server.pid)
                deltas = [now[p][0] - before.get(p, (now[p][0], 0))[0] for p in now]
                total = sum(deltas)
                if total > 0:
                    shares.append(max(deltas) / total)
                rss.update({p: v[1] for p, v in now.items()})
                before = now

        sampler = threading.Thread(target=sample)
        sampler.start()
        result = pages.wrk(args, "/bench/floor/", cookie, server.pid)
        stop.set()
        sampler.join()
        one_worker = sum(1 for s in shares if s > 0.8) / max(len(shares), 1)
        say(
            f"max_requests={max_requests}: {result['rps']:.0f} req/s, p99 {result['p99']:.1f} ms,"
            f" busiest worker's CPU share per second: mean {sum(shares) / max(len(shares), 1):.2f},"
            f" >0.8 in {100 * one_worker:.0f}% of seconds; worker RSS "
            f"{', '.join(f'{v // 1024} MB' for v in rss.values())}"
        )
    finally:
        server.terminate()
        server.wait(30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="ehr_bench_pages")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8795)
    parser.add_argument("--max-requests", default="0,1000")
    args = parser.parse_args()
    say = print
    _, database_url = bench_url(args.database)
    env = pages.site_env(database_url)
    os.environ.update(env)
    import django

    django.setup()
    _, cookie = pages.sign_in(pages.ROLES["doctor"])
    for value in args.max_requests.split(","):
        run(args, int(value), cookie, env, say)


if __name__ == "__main__":
    main()
