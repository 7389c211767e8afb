"""gunicorn settings for ``gunicorn markup.wsgi:application``.

Every value can be overridden from the environment (GUNICORN_*) or the command line.
"""

import multiprocessing
import os


def env(name: str, default: str) -> str:
    return os.environ.get(f"GUNICORN_{name}", default)


# Where to listen. Behind nginx, a local port or a unix socket ("unix:/run/markup.sock").
bind = env("BIND", "127.0.0.1:8000").split(",")

# Sync workers suit Django's blocking ORM. Measured on 2 cores, cores + 1 workers beat
# gunicorn's usual (2 x cores) + 1, which only adds context switches.
workers = int(env("WORKERS", str(multiprocessing.cpu_count() + 1)))
worker_class = env("WORKER_CLASS", "sync")
threads = int(env("THREADS", "1"))

# A request that takes longer than this is killed; saving the largest allowed post takes
# a few seconds at worst, well inside it.
timeout = int(env("TIMEOUT", "30"))
graceful_timeout = int(env("GRACEFUL_TIMEOUT", "30"))
keepalive = int(env("KEEPALIVE", "5"))

# Recycle workers now and then so that slow leaks cannot grow without bound.
max_requests = int(env("MAX_REQUESTS", "2000"))
max_requests_jitter = int(env("MAX_REQUESTS_JITTER", "200"))

# Access log to stdout, errors to stderr, one line each; %(M)s is the request time in ms.
accesslog = env("ACCESS_LOG", "-")
errorlog = env("ERROR_LOG", "-")
loglevel = env("LOG_LEVEL", "info")
access_log_format = env("ACCESS_LOG_FORMAT", '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"')
