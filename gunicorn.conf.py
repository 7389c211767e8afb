"""gunicorn settings for ``gunicorn markup.wsgi:application``.

Every value can be overridden from the environment (GUNICORN_*) or the command line.
"""

import multiprocessing
import os
import sys
from pathlib import Path

from gunicorn import glogging

sys.path.insert(0, str(Path(__file__).resolve().parent))

from markup import environment  # noqa: E402
from markup.log_format import OneLineFormatter, client_address  # noqa: E402

# Refuse to start, before any worker forks, when Django's settings would refuse: the
# operator sees one line naming the variable instead of every worker failing to boot.
environment.load_local_dotenv()
environment.secret_key()


def env(name: str, default: str) -> str:
    return os.environ.get(f"GUNICORN_{name}", default)


# Where to listen. Behind nginx, a local port or a unix socket ("unix:/run/markup/markup.sock").
bind = env("BIND", "127.0.0.1:8000").split(",")

# Sync workers suit Django's blocking ORM and must sit behind a buffering proxy (nginx),
# which absorbs slow clients. Measured on 2 cores, cores + 1 workers beat gunicorn's usual
# (2 x cores) + 1, which only adds context switches. "gthread" with THREADS > 1 serves
# more connections per worker at some cost in throughput.
workers = int(env("WORKERS", str(multiprocessing.cpu_count() + 1)))
worker_class = env("WORKER_CLASS", "sync")
threads = int(env("THREADS", "1"))

# A request that takes longer than this is killed; saving the largest allowed post takes
# a few seconds at worst, well inside it. On HUP or TERM, workers get graceful_timeout
# seconds to finish the requests they hold.
timeout = int(env("TIMEOUT", "30"))
graceful_timeout = int(env("GRACEFUL_TIMEOUT", "30"))
# Seconds an idle keep-alive connection from the proxy stays open.
keepalive = int(env("KEEPALIVE", "5"))

# Recycle workers now and then so that slow leaks cannot grow without bound; the jitter
# keeps them from all restarting at once.
max_requests = int(env("MAX_REQUESTS", "2000"))
max_requests_jitter = int(env("MAX_REQUESTS_JITTER", "200"))

# Refuse oversized request lines and headers early (gunicorn answers 400); nginx applies
# its own limits in front. 8190 is the longest line gunicorn accepts.
limit_request_line = int(env("LIMIT_REQUEST_LINE", "8190"))
limit_request_fields = int(env("LIMIT_REQUEST_FIELDS", "100"))
limit_request_field_size = int(env("LIMIT_REQUEST_FIELD_SIZE", "8190"))

# Which peers may set X-Forwarded-Proto: the local proxy when DJANGO_BEHIND_PROXY=1 (as
# for Django itself), nobody otherwise. Requests over a unix socket are always trusted.
forwarded_allow_ips = env(
    "FORWARDED_ALLOW_IPS",
    "127.0.0.1,::1" if environment.behind_proxy() else "",
)

# Access lines to stdout, errors to stderr, in Django's one-line format (markup.log_format);
# %(h)s is the client's address, from X-Forwarded-For when a trusted proxy passed the
# request on (OneLineLogger.atoms); %(M)s is the request time in milliseconds.
accesslog = env("ACCESS_LOG", "-")
errorlog = env("ERROR_LOG", "-")
loglevel = env("LOG_LEVEL", "info")
access_log_format = env("ACCESS_LOG_FORMAT", '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"')


class OneLineLogger(glogging.Logger):
    """gunicorn's logger, writing markup's one-line format wherever its logs go, and
    naming the client, not the proxy, in access lines."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(OneLineFormatter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["h"] = client_address(
            environ.get("REMOTE_ADDR", ""),
            environ.get("HTTP_X_FORWARDED_FOR", ""),
            self.cfg.forwarded_allow_ips,
        )
        return atoms


logger_class = OneLineLogger
