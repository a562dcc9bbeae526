"""Races on PostgreSQL: many threads, each with its own database connection, released
together by a barrier (notes/perf-security-notes.md §5).

A module of race tests marks itself

    pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True),
                  pytest.mark.usefixtures("connection_per_thread")]

(the fixture, in tests/conftest.py, skips on SQLite, where IMMEDIATE transactions
serialise every writer and there is no race to lose) and calls `run_together`.
"""

import threading
from contextlib import contextmanager

from django.db import connection, connections

# The most threads a race runs; the pool is sized for them.
MAX_THREADS = 50


@contextmanager
def pool_for_threads(threads=MAX_THREADS):
    """Let Django's connection pool hold one connection per thread (and a spare for the
    test itself), so the transactions really run at the same time."""
    pool_options = connection.settings_dict["OPTIONS"].get("pool")
    saved = dict(pool_options) if isinstance(pool_options, dict) else None
    if saved is not None:
        connection.close()
        connection.close_pool()
        pool_options["max_size"] = threads + 2
        pool_options["timeout"] = 30
    try:
        yield
    finally:
        if saved is not None:
            connection.close()
            connection.close_pool()
            pool_options.clear()
            pool_options.update(saved)


def run_together(count, work, *, staged=False):
    """Run work(i) for i in range(count), each in its own thread, all released at once.

    With `staged`, work(i) runs before the barrier and returns the callable to race
    (e.g. a signed-in API client's request). Return the list of results; a thread that
    raised has its exception as its result (a server error raises through the test
    client, so it shows up here too).
    """
    barrier = threading.Barrier(count)
    results = [None] * count

    def target(i):
        try:
            connection.ensure_connection()
            race = work(i) if staged else (lambda: work(i))
            barrier.wait(timeout=60)
            results[i] = race()
        except Exception as exc:  # the test asserts on it
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def split(results):
    """Return (values, exceptions) of `run_together`'s results."""
    errors = [r for r in results if isinstance(r, Exception)]
    return [r for r in results if not isinstance(r, Exception)], errors
