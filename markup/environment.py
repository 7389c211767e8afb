"""Reading markup's configuration from the environment.

Shared by ``markup/settings.py`` and ``gunicorn.conf.py``, so that every entry point reads
the same variables and refuses to start on the same mistakes. Imports nothing from Django.
"""

import os
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent

# Django's own test for a key worth the name (security.W009), applied before startup.
MINIMUM_KEY_LENGTH = 50
MINIMUM_KEY_CHARACTERS = 5
INSECURE_KEY_PREFIX = "django-insecure-"


class ConfigurationError(SystemExit):
    """A message for the operator, printed without a traceback; the process exits 1."""

    def __init__(self, message: str):
        super().__init__(f"markup cannot start: {message}")


def load_local_dotenv() -> None:
    """Read the git-ignored ``.env`` file (or MARKUP_ENV_FILE); set variables win."""
    load_dotenv(os.environ.get("MARKUP_ENV_FILE", BASE_DIR / ".env"), override=False)


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name}={value!r} is not a yes/no value; use 1 or 0.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name}={value!r} is not a whole number.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def debug() -> bool:
    return env_bool("DJANGO_DEBUG", False)


def behind_proxy() -> bool:
    """Whether a proxy of ours is in front, whose forwarded headers may be trusted."""
    return env_bool("DJANGO_BEHIND_PROXY", False)


def secret_key() -> str:
    """DJANGO_SECRET_KEY, which must be set; outside debug mode it must also be strong."""
    key = os.environ.get("DJANGO_SECRET_KEY", "")
    if not key:
        raise ConfigurationError(
            "DJANGO_SECRET_KEY is not set. Export it or put it in a local .env file "
            "(bin/demo writes one with a generated key)."
        )
    if not debug() and not is_strong_secret_key(key):
        raise ConfigurationError(
            f"DJANGO_SECRET_KEY is too weak for production: use at least "
            f"{MINIMUM_KEY_LENGTH} random characters, for example from "
            '`python -c "import secrets; print(secrets.token_urlsafe(50))"`.'
        )
    return key


def is_strong_secret_key(key: str) -> bool:
    return (
        len(key) >= MINIMUM_KEY_LENGTH
        and len(set(key)) >= MINIMUM_KEY_CHARACTERS
        and not key.startswith(INSECURE_KEY_PREFIX)
    )
