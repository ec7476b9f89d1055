"""Gunicorn settings for production (`gunicorn -c deploy/gunicorn.conf.py config.wsgi`).

Every value can be changed through the environment (GUNICORN_*), so one file
serves a small VM and a large one. Threads (gthread) suit this app: requests
wait on PostgreSQL most of the time, and each thread keeps its own persistent
database connection (CONN_MAX_AGE, with health checks), so the connection
count is workers x threads per app server: size PostgreSQL's max_connections
(or PgBouncer) for the sum over all app servers.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


# Behind the reverse proxy on the same host: listen on loopback only.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _int("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8))
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
# Simultaneous connections per worker (idle keep-alive ones included). gthread
# workers accept greedily: under bench/api_load.py one of two workers took 48
# of 50 keep-alive connections (p95 174 ms instead of 113 ms). A limit spreads
# them, but it must stay above each worker's share of the proxy's keep-alive
# pool (nginx.conf: keepalive 32) plus its threads, or new connections wait
# for idle ones to time out. Default: gunicorn's own (1000).
worker_connections = _int("GUNICORN_WORKER_CONNECTIONS", 1000)
# A request that runs longer than this is killed and logged. Matching runs in
# the task worker only: a web worker builds no matching index (it reads the
# stored results), so it is ready as soon as Django is loaded.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so slow leaks cannot grow without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)

# Request limits before Django sees anything (Django adds its own body limit,
# DATA_UPLOAD_MAX_MEMORY_SIZE).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# Trust X-Forwarded-* only from the local proxy. Django separately trusts
# X-Forwarded-Proto only with DJANGO_BEHIND_TLS_PROXY=true, and
# X-Forwarded-For (throttling, lockout) only with DJANGO_NUM_PROXIES > 0.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Logs to stdout/stderr: the service manager (systemd, the container runtime)
# collects them.
# GUNICORN_ACCESSLOG=off turns the access log off (e.g. under a benchmark).
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
if accesslog == "off":
    accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# No query strings in the access log: they may carry search terms of
# confidential needs.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
proc_name = "cbm-web"
