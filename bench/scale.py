"""Scale and speed, all of it in one run: docs/performance.md explains the figures.

Run: .venv/bin/pip install -r bench/requirements.txt
     .venv/bin/python bench/scale.py          (needs wrk, nginx, Redis; PostgreSQL optional)

1. Every public page, rendered for each request (bench/latency.py, in-process), at each
   size of BENCH_SIZES (default 1000,10000,100000 posts, built once by bench/dataset.py
   and kept in BENCH_DATA) on SQLite and on PostgreSQL (BENCH_POSTGRES_URL's server):
   p50/p99, and each page's p99 at the largest size against the smallest. Each figure is
   the median of three rounds, every round measuring every size in turn.
2. Requests/s under wrk of cached pages and of the floors, side by side: a bare WSGI app
   and a minimal Django view (same middleware) under the same gunicorn, and nginx
   (deploy/nginx, over TLS) serving a static file of the home page's size next to its
   micro-cached pages. Each figure is the median of three runs taken in turns.
3. A worker's resident memory before and after 10,000 requests.

Prints tables and writes bench/results/latest.json and a chart of p99 against the number
of posts per database (bench/results/p99-<database>.svg).
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pygal
import redis

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from tests.servers import (  # noqa: E402
    BASE_DIR,
    fetch,
    free_port,
    gunicorn,
    manage,
    nginx,
    site_environment,
    wait_until_serving,
)

SIZES = [int(size) for size in os.environ.get("BENCH_SIZES", "1000,10000,100000").split(",")]
DATA = Path(os.environ.get("BENCH_DATA", "/tmp/markup-bench"))
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
POSTGRES_PREFIX = os.environ.get("BENCH_POSTGRES_PREFIX", "markup_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "100"))
WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WORKERS = 3
MEMORY_REQUESTS = 10_000
WARM_UP_REQUESTS = 1_000
RESULTS = BENCH / "results"


def environment(database_url: str) -> dict:
    return site_environment(database_url, DATA / "static") | {
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "REDIS_URL": REDIS_URL,
        "MARKUP_PAGE_CACHE_SECONDS": "300",
        "GUNICORN_ACCESS_LOG": "/dev/null",
    }


def database_url(engine: str, size: int) -> str:
    if engine == "sqlite":
        return f"sqlite:///{DATA / f'sqlite-{size}.sqlite3'}"
    name = f"{POSTGRES_PREFIX}_{size}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not exists.fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


def dataset(engine: str, size: int) -> dict:
    """The environment of a migrated site with ``size`` posts, built the first time."""
    env = environment(database_url(engine, size))
    ready = DATA / f"{engine}-{size}.ready"
    if ready.exists():
        # Else migrate would render every post again, one by one, if the pipeline changed.
        subprocess.run([sys.executable, BENCH / "dataset.py", "--refresh"], env=env, check=True)
    manage(env, "migrate", "--noinput")
    if not ready.exists():
        print(f"building {size:,} posts on {engine} (once) ...", flush=True)
        subprocess.run([sys.executable, BENCH / "dataset.py", str(size)], env=env, check=True)
        ready.touch()
    return env


def forget_remembered() -> None:
    """Every dataset shares the bench's Redis database: nothing carries over between them."""
    redis.Redis.from_url(REDIS_URL).flushdb()


def latencies_in_turns(sites: dict[int, dict]) -> dict[str, dict]:
    """Each page's p50 and p99 at each size: the medians of ROUNDS rounds. Every round
    measures every size in turn (1k, 10k, 100k, 1k, ...), so that a slow stretch of the
    shared machine does not fall on one size alone and make its ratio."""
    rounds = {size: [] for size in sites}
    for _ in range(ROUNDS):
        for size, env in sites.items():
            rounds[size].append(latencies(env))
    return {str(size): medians(results) for size, results in rounds.items()}


def medians(rounds: list[dict]) -> dict:
    pages = {}
    for page in rounds[0]:
        measured = [result[page] for result in rounds]
        pages[page] = {
            "p50": statistics.median(run["p50"] for run in measured),
            "p99": statistics.median(run["p99"] for run in measured),
            "p99_of_each_round": [run["p99"] for run in measured],
            "status": measured[-1]["status"],
        }
    return pages


def latencies(env: dict) -> dict:
    forget_remembered()
    finished = subprocess.run(
        [sys.executable, BENCH / "latency.py", str(REQUESTS)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=BASE_DIR,
    )
    return json.loads(finished.stdout)


def wrk(url: str, connections: int = 32, seconds: int = WRK_SECONDS) -> dict:
    finished = subprocess.run(
        ["wrk", "--latency", "-t2", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    output = finished.stdout
    if "Latency Distribution" not in output:
        raise RuntimeError(f"wrk {url} measured nothing:\n{output}{finished.stderr}")

    def milliseconds(percentile: str) -> float:
        found = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
        if found is None:
            raise RuntimeError(f"wrk {url}: no {percentile}th percentile in\n{output}")
        value, unit = found.groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]

    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p50": milliseconds("50"),
        "p99": milliseconds("99"),
        "errors": "Non-2xx" in output or "Socket errors" in output,
    }


@contextmanager
def bare_gunicorn(env: dict, folder: Path):
    """bench/bare_wsgi.py under gunicorn, with the project's gunicorn.conf.py."""
    port = free_port()
    log = open(folder / f"bare-{port}.log", "w+")  # noqa: SIM115
    command = [sys.executable, "-m", "gunicorn", "bench.bare_wsgi:application"]
    command += ["--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(WORKERS), "--no-control-socket"]
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=log)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}", process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def throughput(env: dict, folder: Path) -> dict:
    """requests/s of cached pages and of the floors, in one run.

    Each figure is the median of ROUNDS wrk runs, and the rounds take turns (floor, page,
    page, page, floor, ...), so that a stretch of noise on the shared machine does not
    fall on one figure alone."""
    # Workers are not recycled here: a restart (~1 s of Django starting) would land in
    # one wrk run and not another.
    env = env | {"DJANGO_SETTINGS_MODULE": "bench.settings", "GUNICORN_MAX_REQUESTS": "0"}
    forget_remembered()
    pages = {"home": "/", "post": "/posts/post-500/", "tag": "/tags/notes/"}
    results = {}
    with gunicorn(env, folder, workers=WORKERS) as (app_url, _):
        for path in pages.values():
            fetch(f"{app_url}{path}")  # into the page cache
        home_bytes = len(urllib.request.urlopen(f"{app_url}/").read())
        results |= in_turns(
            {"gunicorn: minimal Django view": f"{app_url}/bench/minimal/?bytes={home_bytes}"}
            | {f"gunicorn: cached {name} page": f"{app_url}{path}" for name, path in pages.items()}
        )
        static_root = Path(env["DJANGO_STATIC_ROOT"])
        (static_root / "bench-page.html").write_bytes(b"x" * home_bytes)
        production = env | {"DJANGO_HTTPS": "1", "DJANGO_BEHIND_PROXY": "1"}
        with nginx(folder, static_root, [app_url], production) as (_, https_url):
            results |= in_turns(
                {"nginx: static file, home page's size": f"{https_url}/static/bench-page.html"}
                | {
                    f"nginx: micro-cached {name} page": f"{https_url}{path}"
                    for name, path in pages.items()
                }
            )
    with bare_gunicorn(env | {"BENCH_BODY_BYTES": str(home_bytes)}, folder) as bare_url:
        results |= in_turns({"gunicorn: bare WSGI app": f"{bare_url}/"})
    results["home page bytes"] = home_bytes
    return results


def in_turns(urls: dict[str, str]) -> dict:
    """wrk on each URL in turn, ROUNDS times: each URL's median run, with every run's rate."""
    runs = {name: [] for name in urls}
    for _ in range(ROUNDS):
        for name, url in urls.items():
            runs[name].append(wrk(url))
    results = {}
    for name, measured in runs.items():
        median = sorted(measured, key=lambda run: run["rps"])[len(measured) // 2]
        results[name] = median | {
            "rps_of_each_round": [run["rps"] for run in measured],
            "errors": any(run["errors"] for run in measured),
        }
    return results


def worker_memory(env: dict, folder: Path) -> dict:
    """Resident memory of one worker after its first requests, after WARM_UP_REQUESTS (what
    a worker holds once its caches are filled), and after MEMORY_REQUESTS more rendered
    pages: growth from the second point on would be a leak."""
    env = env | {"MARKUP_PAGE_CACHE_SECONDS": "0", "GUNICORN_MAX_REQUESTS": "0"}
    paths = ("/", "/posts/post-500/", "/tags/notes/?page=3", "/feeds/atom.xml")

    def serve(requests: int) -> int:
        served = 0
        while served < requests:
            for path in paths:
                served += wrk(f"{app_url}{path}", connections=2, seconds=2)["requests"]
        return served

    with gunicorn(env, folder, workers=1) as (app_url, process):
        worker = int(
            Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()[0]
        )
        for path in paths:
            fetch(f"{app_url}{path}")
        first = resident_kib(worker)
        warmed = serve(WARM_UP_REQUESTS)
        before = resident_kib(worker)
        served = serve(MEMORY_REQUESTS)
        after = resident_kib(worker)
    return {
        "first_requests_mib": first / 1024,
        "warm_up_requests": warmed,
        "requests": served,
        "before_mib": before / 1024,
        "after_mib": after / 1024,
    }


def resident_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))


def chart(engine: str, results: dict) -> Path:
    plot = pygal.Line(
        title=f"p99 of each page, rendered per request ({engine})",
        x_title="published posts",
        y_title="p99, ms",
        logarithmic=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=3,
        height=900,
    )
    plot.x_labels = [f"{size:,}" for size in SIZES]
    pages = results[str(SIZES[0])]
    for page in pages:
        plot.add(page, [results[str(size)][page]["p99"] for size in SIZES])
    path = RESULTS / f"p99-{engine}.svg"
    plot.render_to_file(str(path))
    return path


def print_latencies(engine: str, results: dict) -> None:
    smallest, largest = str(SIZES[0]), str(SIZES[-1])
    sizes = "".join(f"{f'{size:,} p50/p99':>20}" for size in SIZES)
    print(
        f"\n{engine}: ms per page, rendered per request; medians of {ROUNDS} rounds of "
        f"{REQUESTS} requests, the sizes taking turns"
    )
    print(f"{'page':<30}{sizes}{'p99 ratio':>11}")
    for page in results[smallest]:
        cells = "".join(
            f"{results[str(size)][page]['p50']:>10.1f}{results[str(size)][page]['p99']:>10.1f}"
            for size in SIZES
        )
        ratio = results[largest][page]["p99"] / results[smallest][page]["p99"]
        print(f"{page:<30}{cells}{ratio:>10.2f}x")


def print_throughput(results: dict) -> None:
    bare = results["gunicorn: bare WSGI app"]["rps"]
    minimal = results["gunicorn: minimal Django view"]["rps"]
    static = results["nginx: static file, home page's size"]["rps"]
    print(
        f"\nrequests/s, wrk -t2 -c32 -d{WRK_SECONDS}s, gunicorn {WORKERS} sync workers; "
        f"the median of {ROUNDS} rounds, taken in turns"
    )
    ratios = f"{'/bare':>8}{'/minimal':>10}{'/static':>9}"
    print(f"{'what':<40}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{ratios}   rounds' req/s")
    for name, figures in results.items():
        if not isinstance(figures, dict):
            continue
        rps = figures["rps"]
        rounds = " ".join(f"{rate:.0f}" for rate in figures["rps_of_each_round"])
        print(
            f"{name:<40}{rps:>9.0f}{figures['p50']:>9.2f}{figures['p99']:>9.2f}"
            f"{rps / bare:>8.2f}{rps / minimal:>10.2f}{rps / static:>9.2f}   {rounds}"
            + ("  (errors!)" if figures["errors"] else "")
        )


def engines() -> list[str]:
    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
    except psycopg.Error:
        print(f"No PostgreSQL at {POSTGRES_URL}: SQLite only.")
        return ["sqlite"]
    return ["sqlite", "postgresql"]


def main():
    for tool in ("wrk", "nginx"):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            sys.exit(f"bench/scale.py needs {tool}: apt-get install {tool}")
    DATA.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    latest, serving_only = RESULTS / "latest.json", "--serving-only" in sys.argv
    # --serving-only measures the serving part again, keeping the last pages' figures.
    summary = json.loads(latest.read_text()) if serving_only and latest.exists() else {}
    machine = "serving machine" if serving_only else "machine"
    summary[machine] = f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start"
    for engine in engines() if not serving_only else []:
        sites = {}
        for size in SIZES:
            sites[size] = dataset(engine, size)
            manage(sites[size], "collectstatic", "--noinput")
        by_size = latencies_in_turns(sites)
        summary[engine] = by_size
        print_latencies(engine, by_size)
        print(f"chart: {chart(engine, by_size)}")
    with tempfile.TemporaryDirectory() as folder:
        env = dataset("sqlite", SIZES[0])
        summary["throughput"] = throughput(env, Path(folder))
        print_throughput(summary["throughput"])
        summary["memory"] = memory = worker_memory(env, Path(folder))
    growth = memory["after_mib"] / memory["before_mib"] - 1
    print(
        f"\nworker memory: {memory['first_requests_mib']:.1f} MiB resident after 4 requests, "
        f"{memory['before_mib']:.1f} MiB after {memory['warm_up_requests']:,} (warm), "
        f"{memory['after_mib']:.1f} MiB after {memory['requests']:,} more requests "
        f"({growth:+.1%} from warm)"
    )
    summary[machine] += f", load {os.getloadavg()[0]:.1f} at the end"
    latest.write_text(json.dumps(summary, indent=1) + "\n")
    print(f"\n{summary[machine]}; figures in {latest}")


if __name__ == "__main__":
    main()
