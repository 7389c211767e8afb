"""Real server processes for tests: started on 127.0.0.1, always stopped afterwards."""

import os
import random
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psycopg
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A free port below the ephemeral range, which other clients may be using."""
    for _ in range(100):
        port = random.randint(20_000, 32_000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port found")


@contextmanager
def site_database(tmp_path: Path):
    """A database of its own for a server process, on the engine the suite runs on."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        yield f"sqlite:///{tmp_path / 'site.sqlite3'}"
        return
    name = f"markup_site_{os.getpid()}_{random.randint(0, 99999)}"
    server = {
        key: database[key.upper()]
        for key in ("host", "port", "user", "password")
        if database[key.upper()]
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        user = server.get("user", "")
        credentials = f"{user}:{server.get('password', '')}@" if user else ""
        host = server.get("host", "") or "localhost"
        yield f"postgres://{credentials}{host}:{server.get('port', 5432)}/{name}"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def site_environment(database_url: str, static_root: Path) -> dict:
    return os.environ | {
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": "server-tests-only-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_DEBUG": "0",
        # Plain HTTP on 127.0.0.1; the nginx tests put HTTPS back through the proxy.
        "DJANGO_HTTPS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_STATIC_ROOT": str(static_root),
    }


def manage(environment: dict, *arguments: str) -> None:
    finished = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if finished.returncode:
        raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{finished.stderr}")


def prepare_site(environment: dict) -> None:
    """Migrate, collect static files and load the demo content, as an operator would."""
    manage(environment, "migrate", "--noinput")
    manage(environment, "collectstatic", "--noinput")
    manage(environment, "seed_demo")


@contextmanager
def gunicorn(environment: dict, log_folder: Path, *extra_arguments: str, workers: int = 2):
    """Run ``gunicorn markup.wsgi:application`` with the project's gunicorn.conf.py."""
    port = free_port()
    log = open(log_folder / f"gunicorn-{port}.log", "w+")  # noqa: SIM115
    command = [sys.executable, "-m", "gunicorn", "markup.wsgi:application"]
    command += ["--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--no-control-socket", *extra_arguments]
    process = subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url, process, log)
        yield base_url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_until_serving(base_url: str, process: subprocess.Popen, log, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"gunicorn exited early:\n{log.read()}")
        try:
            urllib.request.urlopen(f"{base_url}/", timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # serving, even if not that page
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within {timeout} s")


def fetch(url: str):
    """GET a URL; answers (status, headers, text) whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()
