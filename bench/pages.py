"""Page-serving benchmark: markup's pages under gunicorn against a static file.

Run: .venv/bin/python bench/pages.py        (needs `wrk`: apt-get install wrk)

It prepares a throwaway SQLite site with the demo content, starts gunicorn on 127.0.0.1
with the project's gunicorn.conf.py, and loads each URL with wrk for a few seconds
(2 threads, 32 connections). The static file, served by WhiteNoise in the same workers,
is the ceiling for this machine; the ratios say how close the pages come to it.
It measures pages rendered for every request; then, when Redis answers (BENCH_REDIS_URL,
default redis://127.0.0.1:6379/0), with the page cache; then the production shape:
deploy/nginx/markup.conf over TLS in front, serving static files itself.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import (  # noqa: E402
    gunicorn,
    nginx,
    prepare_site,
    site_environment,
)

SECONDS = 5
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def requests_per_second(url: str) -> float:
    result = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{SECONDS}s", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=SECONDS + 30,
    )
    return float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))


def measure(environment: dict, folder: Path, label: str, through_nginx=False) -> None:
    with (
        gunicorn(environment, folder, workers=3) as (app_url, _),
        maybe_nginx(through_nginx, folder, environment, app_url) as base_url,
    ):
        manifest = Path(environment["DJANGO_STATIC_ROOT"]) / "staticfiles.json"
        stylesheet = json.loads(manifest.read_text())["paths"]["css/site.css"]
        urls = {
            "static file (ceiling)": f"/static/{stylesheet}",
            "home page": "/",
            "post page (tour)": "/posts/a-tour-of-markdown/",
            "tag page": "/tags/guides/",
        }
        print(f"\n{label}: wrk -t2 -c32 -d{SECONDS}s, gunicorn 3 sync workers, SQLite")
        ceiling = None
        for name, path in urls.items():
            rate = requests_per_second(f"{base_url}{path}")
            ceiling = ceiling or rate
            print(f"{name:<24}{rate:>9.0f} req/s   {rate / ceiling:>6.1%} of the static file")


@contextmanager
def maybe_nginx(wanted: bool, folder: Path, environment: dict, app_url: str):
    """deploy/nginx/markup.conf over TLS in front of the app server, or the app itself."""
    if not wanted:
        yield app_url
        return
    with nginx(folder, Path(environment["DJANGO_STATIC_ROOT"]), [app_url]) as (_, https_url):
        yield https_url


def main():
    if not shutil.which("wrk"):
        sys.exit("bench/pages.py needs wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        environment = site_environment(f"sqlite:///{folder / 'bench.sqlite3'}", folder / "static")
        environment["GUNICORN_ACCESS_LOG"] = "/dev/null"
        environment.pop("REDIS_URL", None)
        prepare_site(environment)
        measure(environment, folder, "Rendered for every request (no REDIS_URL)")
        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        except redis.RedisError:
            print(f"\nNo Redis at {REDIS_URL}: the page-cache figures were not measured.")
            return
        cached = environment | {"REDIS_URL": REDIS_URL}
        measure(cached, folder, f"Page cache in {REDIS_URL}")
        if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
            print("\nNo nginx: the figures through nginx were not measured.")
            return
        production = cached | {"DJANGO_HTTPS": "1", "DJANGO_BEHIND_PROXY": "1"}
        label = "Page cache, through nginx over TLS (static files from nginx)"
        measure(production, folder, label, through_nginx=True)


if __name__ == "__main__":
    main()
