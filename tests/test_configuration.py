"""Settings come from the environment, with production defaults unless told otherwise.

Settings are read once per process, so each case runs in a fresh Python process with a
bare environment: nothing from the test run, the developer's shell or .env leaks in.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.servers import BASE_DIR

STRONG_KEY = "configuration-tests-key-0123456789-abcdefghijklmnopqrstuvwxyz"

# Reads Django's resolved settings in a fresh process and prints them as JSON.
PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
names = {names!r}
print(json.dumps({{name: getattr(settings, name, None) for name in names}}, default=str))
"""


def bare_environment(**variables: str) -> dict:
    """Only what a Python process needs, plus the given variables; .env is not read."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "markup.settings",
        "MARKUP_ENV_FILE": os.devnull,
        **variables,
    }


def run(command: list[str], environment: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=60
    )


def resolved_settings(*names: str, **variables: str) -> dict:
    code = PRINT_SETTINGS.format(names=names)
    finished = run([sys.executable, "-c", code], bare_environment(**variables))
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout)


ENTRY_POINTS = {
    "manage.py": [sys.executable, "manage.py", "check"],
    "gunicorn": [
        sys.executable,
        "-m",
        "gunicorn",
        "markup.wsgi:application",
        "--bind",
        "127.0.0.1:0",
        "--no-control-socket",
    ],
}


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize(
    ("key", "complaint"),
    [(None, "DJANGO_SECRET_KEY is not set"), ("secret", "DJANGO_SECRET_KEY is too weak")],
)
def test_entry_points_refuse_to_start_without_a_real_secret_key(entry_point, key, complaint):
    variables = {"DJANGO_SECRET_KEY": key} if key else {}
    finished = run(ENTRY_POINTS[entry_point], bare_environment(**variables))
    assert finished.returncode != 0
    assert finished.stderr.strip() == finished.stderr.strip().splitlines()[0]
    assert complaint in finished.stderr
    assert "Traceback" not in finished.stderr


def test_debug_mode_accepts_a_weak_key_but_still_needs_one():
    environment = bare_environment(DJANGO_DEBUG="1", DJANGO_SECRET_KEY="dev")
    assert run([sys.executable, "manage.py", "check"], environment).returncode == 0
    del environment["DJANGO_SECRET_KEY"]
    assert run([sys.executable, "manage.py", "check"], environment).returncode != 0


def test_a_malformed_switch_is_refused_by_name():
    environment = bare_environment(DJANGO_SECRET_KEY=STRONG_KEY, DJANGO_HTTPS="maybe")
    finished = run([sys.executable, "manage.py", "check"], environment)
    assert finished.returncode != 0
    assert "DJANGO_HTTPS='maybe' is not a yes/no value" in finished.stderr


def test_check_deploy_finds_nothing_with_only_a_key_and_hosts():
    environment = bare_environment(
        DJANGO_SECRET_KEY=STRONG_KEY, DJANGO_ALLOWED_HOSTS="blog.example.com"
    )
    finished = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"], environment
    )
    assert finished.returncode == 0, finished.stderr
    assert "System check identified no issues" in finished.stdout


def test_production_defaults_are_secure():
    resolved = resolved_settings(
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        "SECURE_PROXY_SSL_HEADER",
        DJANGO_SECRET_KEY=STRONG_KEY,
    )
    assert resolved == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_PROXY_SSL_HEADER": None,
    }


@pytest.mark.parametrize(
    "variables", [{"DJANGO_HTTPS": "0"}, {"DJANGO_DEBUG": "1"}], ids=["https-off", "debug"]
)
def test_plain_http_is_an_explicit_opt_out(variables):
    resolved = resolved_settings(
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        DJANGO_SECRET_KEY=STRONG_KEY,
        **variables,
    )
    assert resolved == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SESSION_COOKIE_SECURE": False,
    }


def test_the_forwarded_scheme_is_trusted_only_behind_a_proxy():
    resolved = resolved_settings(
        "SECURE_PROXY_SSL_HEADER", DJANGO_SECRET_KEY=STRONG_KEY, DJANGO_BEHIND_PROXY="1"
    )
    assert resolved["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_hsts_lifetime_and_trusted_origins_come_from_the_environment():
    resolved = resolved_settings(
        "SECURE_HSTS_SECONDS",
        "CSRF_TRUSTED_ORIGINS",
        DJANGO_SECRET_KEY=STRONG_KEY,
        DJANGO_HSTS_SECONDS="600",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://blog.example.com, https://www.example.com",
    )
    assert resolved == {
        "SECURE_HSTS_SECONDS": 600,
        "CSRF_TRUSTED_ORIGINS": ["https://blog.example.com", "https://www.example.com"],
    }


def test_redis_url_selects_the_redis_cache():
    backend = "posts.caching.RedisCache"
    with_redis = resolved_settings("CACHES", DJANGO_SECRET_KEY=STRONG_KEY, REDIS_URL="redis://c/2")
    assert with_redis["CACHES"]["default"]["BACKEND"] == backend
    assert with_redis["CACHES"]["default"]["LOCATION"] == "redis://c/2"

    without = resolved_settings("CACHES", DJANGO_SECRET_KEY=STRONG_KEY)
    assert without["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")


def test_database_url_selects_postgresql_with_persistent_checked_connections():
    resolved = resolved_settings(
        "DATABASES",
        DJANGO_SECRET_KEY=STRONG_KEY,
        DATABASE_URL="postgres://markup:pw@db.internal:5432/markup",
    )
    database = resolved["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["NAME"]) == ("db.internal", "markup")
    assert database["CONN_MAX_AGE"] == 600
    assert database["CONN_HEALTH_CHECKS"] is True


def test_in_debug_mode_the_content_security_policy_only_reports():
    resolved = resolved_settings(
        "CONTENT_SECURITY_POLICY",
        "CONTENT_SECURITY_POLICY_REPORT_ONLY",
        DJANGO_SECRET_KEY="dev",
        DJANGO_DEBUG="1",
    )
    assert resolved["CONTENT_SECURITY_POLICY"] is None
    assert resolved["CONTENT_SECURITY_POLICY_REPORT_ONLY"]["DIRECTIVES"]["script-src"] == ["'self'"]
