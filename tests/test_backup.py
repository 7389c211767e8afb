"""Backups and restores, as docs/backups.md tells an operator to take them."""

import shutil
import sqlite3
import subprocess
import sys
import threading

import pytest
from django.db import connection

from posts.models import Image
from tests.html import Inventory
from tests.servers import BASE_DIR, manage, postgres_database, prepare_site, site_environment
from tests.test_images import picture_file

COUNT_POSTS = "from posts.models import Post; print(Post.objects.count())"


def count_posts(environment: dict) -> int:
    finished = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", COUNT_POSTS],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return int(finished.stdout)


@pytest.mark.server
def test_sqlite_backup_taken_while_writing_restores(tmp_path):
    database = tmp_path / "site.sqlite3"
    environment = site_environment(f"sqlite:///{database}", tmp_path / "static")
    prepare_site(environment)
    seeded = count_posts(environment)

    # A writer keeps changing the database while the backup is taken.
    stop = threading.Event()

    def write_constantly():
        with sqlite3.connect(database, timeout=30) as writer:
            while not stop.is_set():
                writer.execute("UPDATE posts_post SET summary = summary || '.' WHERE id = 1")
                writer.commit()

    writer = threading.Thread(target=write_constantly)
    writer.start()
    try:
        manage(environment, "backup_sqlite", str(tmp_path / "backup.sqlite3"))
    finally:
        stop.set()
        writer.join()

    # Restore: stop the site, put the copy in place of the database, start again.
    database.unlink()
    shutil.copyfile(tmp_path / "backup.sqlite3", database)
    with sqlite3.connect(database) as restored:
        assert restored.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert count_posts(environment) == seeded > 0


@pytest.mark.server
def test_sqlite_backup_refuses_to_overwrite(tmp_path):
    database = tmp_path / "site.sqlite3"
    environment = site_environment(f"sqlite:///{database}", tmp_path / "static")
    manage(environment, "migrate", "--noinput")
    (tmp_path / "taken.sqlite3").write_text("keep me")
    with pytest.raises(RuntimeError, match="exists already"):
        manage(environment, "backup_sqlite", str(tmp_path / "taken.sqlite3"))
    assert (tmp_path / "taken.sqlite3").read_text() == "keep me"


@pytest.mark.server
@pytest.mark.postgresql
def test_postgresql_dump_restores_into_a_new_database(tmp_path):
    for tool in ("pg_dump", "pg_restore"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is absent: apt-get install postgresql-client")
    settings = connection.settings_dict
    credentials = f"{settings['USER']}@" if settings["USER"] else ""
    address = f"{settings['HOST'] or 'localhost'}:{settings['PORT'] or 5432}"
    server = f"postgres://{credentials}{address}/postgres"
    with postgres_database(server) as source_url, postgres_database(server) as target_url:
        environment = site_environment(source_url, tmp_path / "static")
        prepare_site(environment)
        dump = tmp_path / "markup.dump"
        subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", source_url],
            check=True,
            timeout=120,
        )
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={target_url}", str(dump)],
            check=True,
            timeout=120,
        )
        restored = environment | {"DATABASE_URL": target_url}
        assert count_posts(restored) == count_posts(environment) > 0


@pytest.mark.django_db
def test_media_folder_copied_with_rsync_restores_every_image(client, make_post, settings, tmp_path):
    image = Image.upload(picture_file("JPEG", size=(1200, 600)), alt_text="A red square")
    post = make_post(body=f"![A red square]({image.url})")
    served = {url: client.get(url).getvalue() for url in image_urls(post.body_html)}
    backup = tmp_path / "media-backup"

    # docs/backups.md: an incremental copy while the site runs, copied back to restore.
    subprocess.run(["rsync", "-a", f"{settings.MEDIA_ROOT}/", f"{backup}/"], check=True)
    shutil.rmtree(settings.MEDIA_ROOT)
    assert client.get(image.url).status_code == 404
    subprocess.run(["rsync", "-a", f"{backup}/", f"{settings.MEDIA_ROOT}/"], check=True)

    assert len(served) == 3  # the upload and its 480 and 960 px copies
    for url, content in served.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.getvalue() == content, url


def image_urls(html: str) -> set[str]:
    """Every image address a post's HTML names, in src and srcset."""
    urls = set()
    for tag, attrs in Inventory(html).elements:
        if tag == "img":
            urls.add(attrs["src"])
            urls.update(entry.split()[0] for entry in attrs.get("srcset", "").split(","))
    return urls
