"""Real server processes for tests: started on 127.0.0.1, always stopped afterwards."""

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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
    user = database["USER"]
    credentials = f"{user}:{database['PASSWORD']}@" if user else ""
    host = database["HOST"] or "localhost"
    server_url = f"postgres://{credentials}{host}:{database['PORT'] or 5432}/postgres"
    with postgres_database(server_url) as database_url:
        yield database_url


@contextmanager
def postgres_database(server_url: str):
    """A fresh, empty database on the PostgreSQL server at server_url, dropped afterwards."""
    name = f"markup_site_{os.getpid()}_{random.randint(0, 99999)}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
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


def create_superuser(environment: dict, username: str, password: str) -> None:
    manage(
        environment | {"DJANGO_SUPERUSER_PASSWORD": password},
        *("createsuperuser", "--noinput", "--username", username),
        *("--email", f"{username}@example.com"),
    )


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
        start_new_session=True,
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
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # workers a test orphaned
        log.close()


def wait_until_serving(base_url: str, process: subprocess.Popen, log, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"gunicorn exited early:\n{log.read()}")
        try:
            # /healthz is never redirected to HTTPS, whatever DJANGO_HTTPS says.
            urllib.request.urlopen(f"{base_url}/healthz", timeout=2).close()
            return
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


# The shipped site: plain HTTP, then HTTPS (deploy/install enables the second once a
# certificate exists).
NGINX_SITES = [BASE_DIR / "deploy" / "nginx" / f for f in ("markup.conf", "markup-https.conf")]

# What the shipped site files say, and what a test on 127.0.0.1 puts in their place.
NGINX_SITE_VALUES = {
    "listen 80 default_server;": "listen 127.0.0.1:{http_port} default_server;",
    "listen [::]:80 default_server;": "",
    "listen 443 ssl default_server;": "listen 127.0.0.1:{https_port} ssl default_server;",
    "listen [::]:443 ssl default_server;": "",
    "listen 80;": "listen 127.0.0.1:{http_port};",
    "listen [::]:80;": "",
    "listen 443 ssl http2;": "listen 127.0.0.1:{https_port} ssl http2;",
    "listen [::]:443 ssl http2;": "",
    # A name, not an address: clients send it in TLS (SNI), which the site requires.
    "server_name blog.example.com;": "server_name localhost;",
    "/etc/letsencrypt/live/blog.example.com/fullchain.pem": "{folder}/cert.pem",
    "/etc/letsencrypt/live/blog.example.com/privkey.pem": "{folder}/key.pem",
    "/etc/nginx/snippets/": "{folder}/",
    "/var/www/letsencrypt": "{folder}/letsencrypt",
    "/srv/markup/staticfiles/": "{static_root}/",
    "/var/lib/nginx/markup-pages": "{folder}/markup-pages",
    "    server 127.0.0.1:8000 max_fails=1 fail_timeout=10s;": "{upstream_servers}",
}

NGINX_MAIN = """
daemon off;
master_process on;
worker_processes 1;
{user}
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder}/nginx-access.log;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    {site}
}}
"""


def tls_certificate(folder: Path) -> Path:
    """A self-signed certificate for localhost and 127.0.0.1 (cert.pem, key.pem in folder)."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
        + ["-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return folder / "cert.pem"


def nginx_site(folder: Path, static_root: Path, app_urls: list[str], **ports: int) -> str:
    """deploy/nginx's site files with this machine's ports, certificate and app servers."""
    site = "\n".join(path.read_text() for path in NGINX_SITES)
    upstream_servers = "\n".join(
        f"    server {url.removeprefix('http://')} max_fails=1 fail_timeout=10s;"
        for url in app_urls
    )
    values = {"folder": folder, "static_root": static_root, "upstream_servers": upstream_servers}
    for shipped, replacement in NGINX_SITE_VALUES.items():
        assert shipped in site, f"deploy/nginx no longer says {shipped!r}"
        site = site.replace(shipped, replacement.format(**values, **ports))
    return site


def nginx_headers(folder: Path, environment: dict) -> None:
    """The header snippets deploy/install writes, from the app servers' settings."""
    finished = subprocess.run(
        [sys.executable, "deploy/nginx_headers.py", str(folder)],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if finished.returncode:
        raise RuntimeError(f"deploy/nginx_headers.py failed:\n{finished.stderr}")


@contextmanager
def nginx(folder: Path, static_root: Path, app_urls: list[str], environment: dict | None = None):
    """Real nginx in front of app_urls, serving https://localhost; yields (http_url,
    https_url). The headers it adds come from environment's settings (by default
    production's, over HTTPS)."""
    executable = shutil.which("nginx") or "/usr/sbin/nginx"
    ports = {"http_port": free_port(), "https_port": free_port()}
    tls_certificate(folder)
    if environment is None:
        environment = site_environment(f"sqlite:///{folder / 'unused.sqlite3'}", static_root)
        environment["DJANGO_HTTPS"] = "1"
    nginx_headers(folder, environment)
    # As root, nginx's workers would run as nobody and could not read pytest's folders.
    user = "user root;" if os.geteuid() == 0 else ""
    site = nginx_site(folder, static_root, app_urls, **ports)
    (folder / "nginx.conf").write_text(NGINX_MAIN.format(user=user, folder=folder, site=site))
    output = folder / "nginx-output.log"
    with output.open("w") as log:
        process = subprocess.Popen(
            [executable, "-c", str(folder / "nginx.conf"), "-p", str(folder)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    http_url = f"http://localhost:{ports['http_port']}"
    try:
        deadline = time.monotonic() + 10
        while not port_open(ports["https_port"]):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"nginx did not start:\n{output.read_text()}")
            time.sleep(0.05)
        yield http_url, f"https://localhost:{ports['https_port']}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class TcpRelay:
    """Forwards a local port to a server; stop() makes the server unreachable, start() back.

    Stands between an app server and its database to take the database away without
    touching the database server itself.
    """

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.connections: list[socket.socket] = []
        self.listener = None

    def start(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=True)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self) -> None:
        with suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self.listener.close()
        for connection in self.connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self.connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            self.connections += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
