"""Every kind of page is valid HTML5, checked by the Nu HTML Checker (vnu)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from posts.models import Image, Page, Post, SiteSettings
from tests.test_images import picture_file

VNU_JAR = Path(__file__).parent / "tools/node_modules/vnu-jar/build/dist/vnu.jar"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (VNU_JAR.exists() and shutil.which("java")),
        reason="the Nu HTML Checker needs Java and `npm ci --prefix tests/tools` (bin/test)",
    ),
]


def validation_errors(pages: dict[str, str], folder: Path) -> list[str]:
    paths = []
    for name, html in pages.items():
        path = folder / f"{name}.html"
        path.write_text(html)
        paths.append(str(path))
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *paths],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(result.stderr)["messages"]
    return [f"{Path(m['url']).name}:{m.get('lastLine')}: {m['message']}" for m in messages]


def test_every_kind_of_page_is_valid_html(client, make_post, staff, settings, tmp_path):
    tour = (settings.BASE_DIR / "posts/demo/markdown-tour.md").read_text()
    picture = Image.upload(picture_file("PNG", size=(1000, 500)), alt_text="A red rectangle")
    tour += f"\n\n![A red rectangle]({picture.url})\n"  # width, height, srcset and sizes
    post = make_post(title="Tour", body=tour, tags=["Guides"], summary="A <summary> & more")
    draft = make_post(title="Draft", status=Post.Status.DRAFT)
    scheduled = make_post(title="Later", published_at=timezone.now() + timezone.timedelta(days=2))
    SiteSettings.objects.update_or_create(pk=1, defaults={"posts_per_page": 1})
    make_post(title="Second page")
    page = Page.objects.create(
        title="Colophon", slug="colophon", body=tour, summary="How <it> is made", status="published"
    )
    draft_page = Page.objects.create(title="Draft page", slug="draft-page", body="Soon.")

    pages = {
        "home": client.get("/").text,
        "home-page-2": client.get("/?page=2").text,
        "post": client.get(post.get_absolute_url()).text,
        "tag": client.get("/tags/guides/").text,
        "author": client.get("/authors/ada/").text,
        "archive": client.get("/archive/").text,
        "archive-year": client.get(post.published_at.strftime("/archive/%Y/")).text,
        "archive-month": client.get(post.published_at.strftime("/archive/%Y/%m/?page=2")).text,
        "search": client.get("/search/?q=tour+or+second&page=2").text,
        "search-prompt": client.get("/search/").text,
        "not-found": client.get("/nowhere/").text,
        "page": client.get(page.get_absolute_url()).text,
        "search-with-a-page": client.get("/search/?q=colophon+or+tour").text,
    }
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login = client.post("/admin/login/", {"username": "editor", "password": "guess"})
    assert login.status_code == 429
    pages["too-many-logins"] = login.text
    client.force_login(staff)
    pages["draft-preview"] = client.get(draft.get_absolute_url()).text
    pages["scheduled-preview"] = client.get(scheduled.get_absolute_url()).text
    pages["draft-page-preview"] = client.get(draft_page.get_absolute_url()).text

    assert validation_errors(pages, tmp_path) == []
