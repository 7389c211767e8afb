"""Write the security headers Django sends as nginx configuration.

nginx answers some requests itself (static files, 413, 502...). This gives those answers
the headers Django would have sent, read from Django's own answer under the settings in
force, so markup's settings stay the one source of truth for both. Run with the site's
settings, as deploy/install does:

    MARKUP_ENV_FILE=/etc/markup/env .venv/bin/python deploy/nginx_headers.py /etc/nginx/snippets

It writes two files into that folder: ``markup-headers-map.conf`` (``map`` blocks, for
the http level) and ``markup-headers.conf`` (``add_header`` lines, for a server or location).
"""

import io
import os
import re
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

# Headers about one answer's body or caching, not about the site's security.
ABOUT_THE_BODY = {"cache-control", "content-length", "content-type", "etag", "expires", "vary"}
# What nginx would read as a variable, an end of string or an end of line.
UNWRITABLE = re.compile(r'[$"\\\x00-\x1f]')


def django_security_headers() -> dict[str, str]:
    """The headers Django adds to an answer over HTTPS, except those about its body."""
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "markup.settings")
    from django.core.wsgi import get_wsgi_application

    answer = {}

    def start_response(status, headers):
        answer.update(headers)

    # /healthz passes through every header-setting middleware and needs no database.
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/healthz",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "HTTP_X_FORWARDED_PROTO": "https",
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
    }
    b"".join(get_wsgi_application()(environ, start_response))
    return {name: value for name, value in answer.items() if name.lower() not in ABOUT_THE_BODY}


def variable(header: str) -> str:
    return "$markup_" + header.lower().replace("-", "_")


def nginx_maps(headers: dict[str, str]) -> str:
    """One ``map`` per header: Django's value when the answer lacks that header (nginx
    answered itself, or the app left it out), else nothing, so none is sent twice."""
    blocks = []
    for header, value in headers.items():
        if UNWRITABLE.search(value):
            raise SystemExit(f"{header}: {value!r} cannot be written into nginx's configuration")
        upstream = "$upstream_http_" + header.lower().replace("-", "_")
        blocks.append(
            f'map {upstream} {variable(header)} {{\n    "" "{value}";\n    default "";\n}}\n'
        )
    return "".join(blocks)


def nginx_add_headers(headers: dict[str, str]) -> str:
    return "".join(f"add_header {header} {variable(header)} always;\n" for header in headers)


def main(folder: Path) -> None:
    headers = django_security_headers()
    note = "# Written by deploy/nginx_headers.py from markup's settings: run it, do not edit.\n"
    (folder / "markup-headers-map.conf").write_text(note + nginx_maps(headers))
    (folder / "markup-headers.conf").write_text(note + nginx_add_headers(headers))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} FOLDER")
    main(Path(sys.argv[1]))
