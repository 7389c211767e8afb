"""The operators' walk of docs/deploying.md, for real, on this machine.

From a machine without markup to https://NAME/: deploy/install with real nginx on ports 80
and 443, PostgreSQL, Redis and a real ACME exchange (certbot against Pebble, the test
server Let's Encrypt publishes); then an admin account, a sign-in over HTTPS, a forced
renewal that nginx serves at once, and install run again. systemd does not run here, so
gunicorn is started as the installed unit says (ExecStart, user, environment), and the
unit is checked with ``systemd-analyze verify``.

The walk changes the machine (the markup user, /srv/markup, /etc/markup, nginx's sites,
/etc/letsencrypt, /etc/hosts, a PostgreSQL role and database markup) and undoes all of it
afterwards. It runs only as root, and only when asked with MARKUP_DEPLOY_WALK=1: .ci/run
asks in its PostgreSQL pass and leaves this file out of the SQLite pass (the walk brings
its own database, so once is enough; here it takes about a minute, up to five when the
machine is very busy, mostly pip, migrations and collectstatic, each run twice).
"""

import hashlib
import http.client
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest

from tests.servers import BASE_DIR, free_port, port_open, tls_certificate

pytestmark = pytest.mark.server

NAME = "blog.markup-walk.test"
HOSTS_LINE = f"127.0.0.1 {NAME}  # markup's deployment walk (tests/test_deploy_walk.py)"
UNIT = Path("/etc/systemd/system/markup.service")
LIVE = Path(f"/etc/letsencrypt/live/{NAME}")
# Folders whose new entries the walk removes and whose removed links it puts back.
WATCHED = [
    "/etc/nginx",
    "/etc/letsencrypt",
    "/etc/systemd/system",
    "/var/www",
    "/var/lib/letsencrypt",
    "/var/log/letsencrypt",
]
# Created whole by the walk; none may exist before it.
OWN_FOLDERS = [Path("/srv/markup"), Path("/etc/markup"), Path("/var/lib/markup")]
# What an operator's root shell has: none of the suite's DJANGO_* or DATABASE_URL.
OPERATOR_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ADMIN_PASSWORD = "walk admin password 42"
CLIENT_ADDRESS = "127.0.0.2"


def reasons_not_to_walk() -> str | None:
    if os.geteuid() != 0:
        return "the deployment walk needs root: it installs into /srv/markup, /etc and ports 80/443"
    if os.environ.get("MARKUP_DEPLOY_WALK") != "1":
        return (
            "the deployment walk changes this machine's nginx, /etc and accounts (and undoes it): "
            "set MARKUP_DEPLOY_WALK=1 to run it, as .ci/run does"
        )
    for tool, package in (("pebble", "pebble"), ("certbot", "certbot"), ("nginx", "nginx-light")):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            return f"{tool} is absent: apt-get install {package} (bin/test does, as root)"
    for tool in ("systemd-analyze", "pg_isready", "redis-cli", "git"):
        if not shutil.which(tool):
            return f"{tool} is absent (bin/test installs what the walk needs, as root)"
    existing = [str(path) for path in OWN_FOLDERS if path.exists()]
    with suppress(KeyError):
        existing.append(f"user {pwd.getpwnam('markup').pw_name}")
    if existing:
        return f"this machine already has markup installed ({', '.join(existing)}): not touching it"
    if not nginx_running() and (port_open(80) or port_open(443)):
        return "ports 80 or 443 are taken by something other than this machine's nginx"
    if port_open(8000):
        return "port 8000, where the installed gunicorn listens, is taken"
    return None


def nginx_running() -> bool:
    try:
        os.kill(int(Path("/run/nginx.pid").read_text()), 0)
    except (OSError, ValueError):
        return False
    return True


def snapshot(folders: list[str]) -> dict[str, str | None]:
    """Every path under folders, with the target of those that are links."""
    paths = {}
    for folder in folders:
        for root, directories, files in os.walk(folder):
            for entry in directories + files:
                path = os.path.join(root, entry)
                paths[path] = os.readlink(path) if os.path.islink(path) else None
    return paths


def remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with suppress(FileNotFoundError):
            os.remove(path)


@contextmanager
def machine_restored(postgres_url: str):
    """Undo everything the walk does to the machine, whatever happens in it."""
    before = snapshot(WATCHED)
    new_folders = [folder for folder in WATCHED if not os.path.exists(folder)]
    nginx_was_running = nginx_running()
    try:
        yield
    finally:
        for path in sorted(set(snapshot(WATCHED)) - set(before), reverse=True) + new_folders:
            remove(path)
        for path, target in before.items():
            if target is not None and not os.path.lexists(path):
                os.symlink(target, path)  # Debian's default site, which install unlinks
        if nginx_running():
            command = ["nginx", "-s", "reload" if nginx_was_running else "quit"]
            subprocess.run(command, capture_output=True, timeout=30)
        for folder in OWN_FOLDERS:
            shutil.rmtree(folder, ignore_errors=True)
        hosts = Path("/etc/hosts")
        hosts.write_text("".join(line for line in hosts_lines() if line.strip() != HOSTS_LINE))
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute("DROP DATABASE IF EXISTS markup WITH (FORCE)")
            connection.execute("DROP ROLE IF EXISTS markup")
        subprocess.run(["userdel", "markup"], capture_output=True, timeout=30)
        subprocess.run(["groupdel", "markup"], capture_output=True, timeout=30)


def hosts_lines() -> list[str]:
    return Path("/etc/hosts").read_text().splitlines(keepends=True)


@contextmanager
def pebble(folder: Path):
    """Pebble on 127.0.0.1, validating HTTP-01 challenges on port 80; yields its
    directory URL and the URL of its root certificate."""
    certificate = tls_certificate(folder)
    port, management_port = free_port(), free_port()
    config = {
        "pebble": {
            "listenAddress": f"127.0.0.1:{port}",
            "managementListenAddress": f"127.0.0.1:{management_port}",
            "certificate": str(certificate),
            "privateKey": str(folder / "key.pem"),
            "httpPort": 80,
            "tlsPort": 443,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
        }
    }
    (folder / "pebble.json").write_text(json.dumps(config))
    log = (folder / "pebble.log").open("w")
    process = subprocess.Popen(
        ["pebble", "-config", str(folder / "pebble.json")],
        env={"PATH": OPERATOR_PATH, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while not (port_open(port) and port_open(management_port)):
            assert process.poll() is None, (folder / "pebble.log").read_text()
            assert time.monotonic() < deadline, "pebble did not start"
            time.sleep(0.1)
        yield f"https://127.0.0.1:{port}/dir", f"https://127.0.0.1:{management_port}/roots/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def copy_of_the_code(destination: Path) -> None:
    """What `git clone` of this tree gives, uncommitted changes included."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=BASE_DIR,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = BASE_DIR / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)


def run(command: list[str], environment: dict, log: Path, timeout: int = 600):
    with log.open("a") as output:
        output.write(f"\n$ {shlex.join(command)}\n")
        output.flush()
        finished = subprocess.run(
            command,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd="/",
            timeout=timeout,
        )
    assert finished.returncode == 0, f"{shlex.join(command)} failed:\n{log.read_text()[-5000:]}"


def unit_service_section(unit: Path) -> dict[str, list[str]]:
    """The [Service] settings of a systemd unit, each with all its values."""
    settings: dict[str, list[str]] = {}
    section = None
    for line in unit.read_text().splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def environment_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines, as systemd's EnvironmentFile reads unquoted values."""
    lines = (line.strip() for line in path.read_text().splitlines())
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


@contextmanager
def gunicorn_as_the_unit_says(unit: Path, log: Path):
    """What `systemctl start markup` would run: ExecStart as User/Group, in
    WorkingDirectory, with EnvironmentFile and Environment, and its RuntimeDirectory."""
    service = unit_service_section(unit)
    account = pwd.getpwnam(service["User"][0])
    environment = {"PATH": OPERATOR_PATH, "HOME": account.pw_dir, "USER": account.pw_name}
    for path in service["EnvironmentFile"]:
        environment |= environment_file(Path(path))
    environment |= dict(assignment.split("=", 1) for assignment in service["Environment"])
    runtime = Path("/run") / service["RuntimeDirectory"][0]
    runtime.mkdir(exist_ok=True)
    os.chown(runtime, account.pw_uid, account.pw_gid)
    output = log.open("w")
    process = subprocess.Popen(
        shlex.split(service["ExecStart"][0]),
        cwd=service["WorkingDirectory"][0],
        env=environment,
        user=account.pw_uid,
        group=service["Group"][0],
        extra_groups=[],
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not port_open(8000):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        output.close()
        shutil.rmtree(runtime, ignore_errors=True)


class Browser:
    """HTTPS to NAME, trusting only Pebble's root, from a loopback address of its own;
    keeps cookies, never follows redirects."""

    def __init__(self, root_certificate: str):
        self.context = ssl.create_default_context(cadata=root_certificate)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, url: str, form: dict | None = None):
        scheme, _, host, path = url.split("/", 3)
        if scheme == "https:":
            connection = http.client.HTTPSConnection(
                host, timeout=30, context=self.context, source_address=(CLIENT_ADDRESS, 0)
            )
        else:
            connection = http.client.HTTPConnection(host, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"https://{NAME}",
                "Referer": url,
            }
        connection.request(method, f"/{path}", body, headers)
        response = connection.getresponse()
        response.text = response.read().decode("utf-8", "replace")
        connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, value = cookie.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        return response


def served_certificate() -> str:
    """The SHA-256 of the certificate nginx serves for NAME."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", 443), timeout=10) as connection,
        context.wrap_socket(connection, server_hostname=NAME) as tls,
    ):
        return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()


def live_certificate() -> str:
    pem = (LIVE / "cert.pem").read_text()
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest()


def wait_until(condition, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.fixture
def walk_environment(tmp_path):
    """Pebble, the test name in /etc/hosts, and a restored machine afterwards; yields
    (the environment an operator's root shell has plus Pebble's, Pebble's root)."""
    reason = reasons_not_to_walk()
    if reason:
        pytest.skip(reason)
    postgres_url = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
    postgres_url = postgres_url.rsplit("/", 1)[0] + "/postgres"
    with machine_restored(postgres_url), pebble(tmp_path) as (directory, root_url):
        Path("/etc/hosts").write_text("".join(hosts_lines()) + HOSTS_LINE + "\n")
        # certbot reads this cli.ini too: the walk's certificates come from Pebble.
        (tmp_path / "letsencrypt").mkdir()
        (tmp_path / "letsencrypt" / "cli.ini").write_text(f"server = {directory}\n")
        # certbot trusts Pebble; pip, which reads the same variable, still trusts the rest.
        system_authorities = Path(ssl.get_default_verify_paths().cafile).read_text()
        trusted = tmp_path / "authorities.pem"
        trusted.write_text(system_authorities + (tmp_path / "cert.pem").read_text())
        environment = {
            "PATH": OPERATOR_PATH,
            "HOME": "/root",
            "LANG": "C.UTF-8",
            "XDG_CONFIG_HOME": str(tmp_path),
            "REQUESTS_CA_BUNDLE": str(trusted),
        }
        trusting_pebble = ssl.create_default_context(cafile=tmp_path / "cert.pem")
        root = urllib.request.urlopen(root_url, context=trusting_pebble, timeout=10).read()
        yield environment, root.decode()


def test_the_deployment_walk_from_a_bare_machine_to_https(walk_environment, tmp_path):
    environment, pebble_root = walk_environment
    log = tmp_path / "walk.log"
    copy_of_the_code(Path("/srv/markup"))

    run(["/srv/markup/deploy/install", NAME], environment, log)

    assert LIVE.joinpath("fullchain.pem").exists()
    verified = subprocess.run(
        ["systemd-analyze", "verify", str(UNIT)], capture_output=True, text=True, timeout=60
    )
    assert verified.returncode == 0, verified.stderr
    assert "markup.service" not in verified.stderr, verified.stderr
    assert oct(Path("/etc/markup/env").stat().st_mode)[-3:] == "640"

    with gunicorn_as_the_unit_says(UNIT, tmp_path / "gunicorn.log"):
        browser = Browser(pebble_root)
        redirect = browser.request("GET", f"http://{NAME}/readyz")
        assert redirect.status == 301
        assert redirect.headers["Location"] == f"https://{NAME}/readyz"

        home = browser.request("GET", f"https://{NAME}/?from=walk")
        assert home.status == 200
        assert home.headers["Server"] == "nginx"
        assert home.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert home.headers["Cross-Origin-Resource-Policy"] == "same-origin"
        stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', home.text)[1]
        static = browser.request("GET", f"https://{NAME}{stylesheet}")
        assert static.status == 200
        assert static.headers["Cross-Origin-Resource-Policy"] == "same-origin"
        assert browser.request("GET", f"https://{NAME}/readyz").status == 200

        run(
            ["/srv/markup/deploy/manage", "createsuperuser", "--noinput", "--username", "admin"]
            + ["--email", "admin@example.com"],
            environment | {"DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD},
            log,
        )
        browser.request("GET", f"https://{NAME}/admin/login/")
        signed_in = browser.request(
            "POST",
            f"https://{NAME}/admin/login/?next=/admin/",
            {
                "username": "admin",
                "password": ADMIN_PASSWORD,
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
            },
        )
        assert signed_in.status == 302, signed_in.text
        assert browser.request("GET", f"https://{NAME}/admin/").status == 200

        access = (tmp_path / "gunicorn.log").read_text()
        assert f' {CLIENT_ADDRESS} "GET /?from=walk HTTP/1.1" 200 ' in access

        first = live_certificate()
        assert served_certificate() == first
        run(
            [
                "certbot",
                "renew",
                "--cert-name",
                NAME,
                "--force-renewal",
                "--no-random-sleep-on-renew",
            ],
            environment,
            log,
        )
        renewed = live_certificate()
        assert renewed != first
        # The deploy hook reloaded nginx, which now serves the new certificate.
        assert wait_until(lambda: served_certificate() == renewed)

        run(["/srv/markup/deploy/install", NAME], environment, log)
        assert live_certificate() == renewed  # kept, not requested again
        assert browser.request("GET", f"https://{NAME}/").status == 200
