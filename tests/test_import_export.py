"""import_markdown and export_markdown: Hugo and Jekyll files in, the same files out."""

import io
import textwrap
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone
from PIL import Image as Pillow

from posts.models import Image, Post, Redirect, Tag

pytestmark = pytest.mark.django_db

HUGO_YAML = """\
---
title: "Moving in from Hugo"
date: 2024-03-05T10:30:00+01:00
lastmod: 2024-03-06T08:00:00Z
draft: false
tags: ["Hugo", "Moving"]
categories: ["Notes"]
summary: "How the move went."
aliases: ["/2019/03/old-name.html", "/posts/older-name/"]
author: ada
---

Hello from **Hugo**.
"""

HUGO_TOML = """\
+++
title = "TOML front matter"
date = 2024-02-01T09:00:00Z
draft = true
tags = ["Hugo"]
description = "Written in TOML."
+++

A draft in TOML.
"""

JEKYLL = """\
---
title: A Jekyll post
layout: post
excerpt: From Jekyll.
tags: jekyll
---
Jekyll's file name gives the date and the slug.
"""


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run(command, *arguments):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *map(str, arguments), stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue() + str(error)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def site(tmp_path, author):
    """A Hugo content folder and a Jekyll _posts folder."""
    write(tmp_path, "content/posts/moving-in.md", HUGO_YAML)
    write(tmp_path, "content/posts/toml-post.md", HUGO_TOML)
    write(tmp_path, "_posts/2023-12-24-jekyll-post.md", JEKYLL)
    return tmp_path


def test_a_dry_run_reports_and_writes_nothing(site):
    out, _ = run("import_markdown", site, "--author", "ada")
    assert "create   " in out and "/posts/moving-in/" in out
    assert "Dry run, nothing written: 3 create" in out
    assert not Post.objects.exists() and not Tag.objects.exists()


def test_hugo_yaml_front_matter_is_imported(site):
    run("import_markdown", site / "content/posts/moving-in.md", "--apply")
    post = Post.objects.get()
    assert (post.title, post.slug, post.summary) == (
        "Moving in from Hugo",
        "moving-in",
        "How the move went.",
    )
    assert post.published_at == datetime(2024, 3, 5, 9, 30, tzinfo=UTC)
    assert post.is_public
    assert sorted(post.tag_names) == ["Hugo", "Moving", "Notes"]
    assert post.author.username == "ada"
    assert "<strong>Hugo</strong>" in post.body_html
    assert post.revisions.count() == 1


def test_hugo_toml_front_matter_is_imported(site):
    run("import_markdown", site / "content/posts/toml-post.md", "--apply", "--author", "ada")
    post = Post.objects.get()
    assert (post.title, post.status, post.summary) == (
        "TOML front matter",
        Post.Status.DRAFT,
        "Written in TOML.",
    )


def test_jekyll_file_names_give_the_date_and_slug(site):
    run("import_markdown", site / "_posts", "--apply", "--author", "ada")
    post = Post.objects.get()
    assert post.slug == "jekyll-post"
    assert timezone.localtime(post.published_at).date().isoformat() == "2023-12-24"
    assert post.summary == "From Jekyll." and post.tag_names == ["jekyll"]


def test_importing_twice_changes_nothing(site):
    run("import_markdown", site, "--apply", "--author", "ada")
    before = list(Post.objects.values().order_by("pk"))
    out, _ = run("import_markdown", site, "--apply", "--author", "ada")
    assert "3 unchanged" in out
    assert list(Post.objects.values().order_by("pk")) == before
    assert Post.objects.get(slug="moving-in").revisions.count() == 1


def test_a_changed_file_updates_its_post(site):
    run("import_markdown", site, "--apply", "--author", "ada")
    write(site, "content/posts/moving-in.md", HUGO_YAML.replace("Hello from", "Goodbye from"))
    out, _ = run("import_markdown", site, "--apply", "--author", "ada")
    assert "1 update" in out and "2 unchanged" in out
    assert Post.objects.get(slug="moving-in").body.startswith("Goodbye")


def test_aliases_become_redirects(site, client):
    run("import_markdown", site, "--apply", "--author", "ada")
    assert set(Redirect.objects.values_list("old_slug", flat=True)) == {"old-name", "older-name"}
    assert client.get("/posts/old-name/")["Location"] == "/posts/moving-in/"


def test_a_bad_file_is_reported_with_its_line_and_skipped(site):
    bad = write(site, "content/posts/broken.md", "---\ntitle: Broken\ntags: [unclosed\n---\nBody\n")
    out, err = run("import_markdown", site, "--apply", "--author", "ada")
    assert f"problem  {bad}:4: YAML front matter" in err
    assert "1 skipped" in out and "file(s) skipped" in err
    assert Post.objects.count() == 3


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("No front matter here.\n", 1, "no front matter"),
        ("---\ntitle: Never closed\n", 1, "never closed"),
        ("+++\ntitle = 'x'\ndate = nope\n+++\nBody\n", 3, "TOML front matter"),
        ("---\ndate: 2024-01-01\n---\nBody\n", 1, "no title"),
        ("---\ntitle: T\ndate: someday\n---\nBody\n", 3, "not a date"),
        ("---\ntitle: T\ndate: 2024-01-01\n---\n\nText\n\n![Gone](missing.png)\n", 8, "not there"),
        ("---\ntitle: T\ndate: 2024-01-01\n---\n" + "> " * 30 + "deep\n", 1, "nested"),
    ],
)
def test_problems_name_the_file_and_line(tmp_path, author, text, line, message):
    path = write(tmp_path, "post.md", text)
    _, err = run("import_markdown", path, "--apply", "--author", "ada")
    assert f"{path}:{line}:" in err and message in err
    assert not Post.objects.exists()


def test_relative_images_are_imported_as_images(tmp_path, author):
    Pillow.new("RGB", (800, 400), "teal").save(tmp_path / "photo.jpg", exif=b"")
    write(
        tmp_path,
        "post.md",
        "---\ntitle: Photo\ndate: 2024-01-01\n---\n\n![A teal field](photo.jpg)\n",
    )
    out, _ = run("import_markdown", tmp_path, "--apply", "--author", "ada")
    image = Image.objects.get()
    assert image.alt_text == "A teal field"
    post = Post.objects.get()
    assert post.body == f"![A teal field]({image.url})"
    assert 'width="800"' in post.body_html and "srcset" in post.body_html


def export(folder):
    run("export_markdown", folder)
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_export_then_import_into_an_empty_database_exports_the_same_files(
    tmp_path, make_post, django_db_blocker
):
    picture = io.BytesIO()
    Pillow.new("RGB", (1200, 900), "orange").save(picture, "JPEG")
    image = Image.upload(SimpleUploadedFile("o.jpg", picture.getvalue()), alt_text="Orange")
    make_post(title="Public", body=f"Text and ![Orange]({image.url})\n\nEnd.", tags=["B", "a"])
    make_post(title="Draft: ünïcode", status=Post.Status.DRAFT, published_at=None, summary="Sum")
    make_post(title="Scheduled", published_at=timezone.now() + timedelta(days=3))
    moved = make_post(title="Moved")
    moved.slug = "moved-here"
    moved.save()

    first = export(tmp_path / "first")
    assert sorted(first) == [
        "draft-ünïcode.md",
        f"images/{image.content_hash}.jpg",
        "moved-here.md",
        "public.md",
        "scheduled.md",
    ]
    Redirect.objects.all().delete()
    Post.objects.all().delete()
    Image.objects.all().delete()
    Tag.objects.all().delete()

    out, err = run("import_markdown", tmp_path / "first", "--apply")
    assert "4 create" in out, err
    assert export(tmp_path / "second") == first


def test_export_refuses_a_folder_that_is_not_empty(tmp_path, db):
    (tmp_path / "keep.txt").write_text("mine")
    _, err = run("export_markdown", tmp_path)
    assert "not empty" in err


def test_an_exported_file_reads_as_hugo_front_matter(tmp_path, make_post):
    make_post(
        title="Hello",
        body="Body",
        tags=["x"],
        summary="Short",
        published_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    export(tmp_path / "out")
    assert (tmp_path / "out" / "hello.md").read_text() == textwrap.dedent(
        """\
        ---
        title: Hello
        slug: hello
        date: '2024-01-02T03:04:05+00:00'
        draft: false
        author: ada
        tags:
        - x
        summary: Short
        ---

        Body
        """
    )


def test_an_alias_that_is_another_posts_address_stays_that_posts(site, make_post):
    make_post(title="Old name", slug="old-name")
    _, err = run("import_markdown", site, "--apply", "--author", "ada")
    assert "the alias /posts/old-name/ is another post's address" in err
    assert not Redirect.objects.filter(old_slug="old-name").exists()
