"""Gunicorn configuration for the EHR site (sample for operators; see README, "Production").

    gunicorn -c deploy/gunicorn.conf.py ehr.wsgi

Every value can be overridden from the environment (the systemd unit reads /etc/ehr/env).
Sizing: peak PostgreSQL connections = workers x DB_POOL_MAX_SIZE (per app server), which must
stay below the server's max_connections; keep DB_POOL_MAX_SIZE >= threads.
"""

import multiprocessing
import os

# Nginx proxies to this address (see deploy/nginx.conf). A unix socket works too:
# GUNICORN_BIND=unix:/run/ehr/gunicorn.sock
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Threads share a worker's database pool; a slow request does not block its siblings.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", 4))

# No recycling by default. Clients and Nginx (`keepalive` in deploy/nginx.conf) hold their
# connections open; when a worker retires after max_requests, its connections reconnect to
# the workers still accepting and stay there, and the fresh worker sits idle: the site runs
# on fewer processes than it has (measured with bench/recycling.py, 2 workers, keep-alive
# clients, floor page: recycling every ~1000 requests 127 req/s, p99 550 ms; none 145 req/s,
# p99 184 ms; see the README, "Production"). Worker memory is flat (~110-120 MB
# after 5,000 requests), so recycling buys nothing here. Set GUNICORN_MAX_REQUESTS (e.g.
# 50000) only if a worker's memory is seen to grow; the jitter staggers the restarts.
# Note: a gthread worker accepts every connection it can (worker_connections, 1000), so a
# few keep-alive clients may still sit on one worker; worker_connections = threads spread
# them evenly in a short trial but queued some requests (longer p99): not adopted.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 0))
max_requests_jitter = max(max_requests // 10, 0)
timeout = 30
graceful_timeout = 30
keepalive = 5

# Import the app once in the master and fork: faster start, shared memory. Safe because
# Django opens its database pool lazily, on the first query in each worker.
preload_app = True

# Heartbeat files on tmpfs, so a slow or read-only disk never gets workers killed.
worker_tmp_dir = "/dev/shm"  # noqa: S108 - tmpfs for heartbeat files, as gunicorn advises

# gunicorn 25+ opens a control socket under $HOME or $XDG_RUNTIME_DIR by default; the
# service account has neither, and nothing here uses `gunicornc`.
control_socket_disable = True

# Only the reverse proxy may set X-Forwarded-Proto/For (Django trusts X-Forwarded-Proto
# through SECURE_PROXY_SSL_HEADER). List the Nginx host(s) if Nginx runs elsewhere.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Access log to stdout (journald). Patient search terms travel in query strings, and links
# between pages carry them in the Referer, so the line has the path without its query
# string (%(U)s, not %(r)s) and no referrer. Format: client, time, method, path, protocol,
# status, bytes, duration in ms, user agent.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s - - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'

proc_name = "ehr"
