"""The floor below Django: a WSGI app answering a fixed page, served by the same gunicorn."""

import os

BODY = b"x" * int(os.environ.get("BENCH_BODY_BYTES", "10000"))


def application(environ, start_response):
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(BODY)))]
    start_response("200 OK", headers)
    return [BODY]
