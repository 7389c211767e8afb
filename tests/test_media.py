"""Serving uploaded images: by the app (bin/demo's gunicorn), by nginx (deploy/), from S3."""

import io
import json
import os
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as Pillow

from posts import images
from posts.models import Image
from tests import servers
from tests.servers import free_port, gunicorn, nginx, port_open
from tests.test_configuration import STRONG_KEY, resolved_settings

CACHE_FOREVER = "public, max-age=31536000, immutable"


def png(size=(40, 30)) -> bytes:
    output = io.BytesIO()
    Pillow.new("RGB", size, (10, 120, 200)).save(output, "PNG")
    return output.getvalue()


def store_image(location: Path) -> str:
    """Clean a picture as an upload is cleaned and store it under location; its name."""
    processed = images.process(SimpleUploadedFile("p.png", png()))
    FileSystemStorage(location=location).save(processed.name, io.BytesIO(processed.content))
    return processed.name


def test_an_image_is_served_with_its_type_and_a_long_cache_life(client, media_root):
    name = store_image(media_root)
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == CACHE_FOREVER
    assert b"".join(response.streaming_content) == (media_root / name).read_bytes()


def test_an_image_carries_the_security_headers_and_a_policy_that_runs_nothing(
    client, media_root, db
):
    response = client.get(f"/media/{store_image(media_root)}")
    response.close()
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["Content-Security-Policy"] == "default-src 'none'"


def test_serving_an_image_asks_the_database_nothing(
    client, media_root, django_assert_num_queries, db
):
    name = store_image(media_root)
    with django_assert_num_queries(0):
        response = client.get(f"/media/{name}")
    response.close()
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/media/images/page.html",
        "/media/notes.html",
        "/media/images/" + "0" * 64 + ".png",  # the right shape, but never stored
        "/media/images/../../settings.py",
        "/media/images/%2e%2e/secret.png",
    ],
)
def test_anything_but_a_stored_upload_is_404(client, db, media_root, path):
    (media_root / "images").mkdir(parents=True)
    (media_root / "images" / "page.html").write_text("<script>alert(1)</script>")
    (media_root / "notes.html").write_text("<script>alert(1)</script>")
    assert client.get(path).status_code == 404


def test_writes_to_media_are_refused(client, media_root):
    name = store_image(media_root)
    assert client.post(f"/media/{name}").status_code == 405


def fetch(url: str, context=None):
    with urllib.request.urlopen(url, timeout=10, context=context) as response:
        return response.status, response.headers, response.read()


@pytest.mark.server
def test_gunicorn_alone_serves_images_safely(prepared_site):
    environment, folder = prepared_site
    media = folder / "demo-media"
    name = store_image(media)
    environment = environment | {"DJANGO_MEDIA_ROOT": str(media)}
    with gunicorn(environment, folder) as (base_url, _):
        status, headers, body = fetch(f"{base_url}/media/{name}")
    assert status == 200
    assert headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == CACHE_FOREVER
    assert headers["Content-Security-Policy"] == "default-src 'none'"
    assert body == (media / name).read_bytes()


@pytest.mark.server
def test_nginx_serves_images_from_media_root(prepared_site, tmp_path, monkeypatch):
    if not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        pytest.skip("nginx is absent: apt-get install nginx-light (bin/test does, as root)")
    environment, folder = prepared_site
    monkeypatch.setitem(servers.NGINX_SITE_VALUES, "/srv/markup/media/", "{folder}/media/")
    name = store_image(tmp_path / "media")
    (tmp_path / "media" / "images" / "evil.html").write_text("<script>alert(1)</script>")
    with (
        gunicorn(environment, folder) as (app_url, _),
        nginx(tmp_path, folder / "static", [app_url]) as (_, https_url),
    ):
        context = ssl.create_default_context(cafile=tmp_path / "cert.pem")
        status, headers, body = fetch(f"{https_url}/media/{name}", context)
        with pytest.raises(urllib.error.HTTPError) as refused:
            fetch(f"{https_url}/media/images/evil.html", context)
    assert status == 200
    assert headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == CACHE_FOREVER
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" in headers
    assert body == (tmp_path / "media" / name).read_bytes()
    assert refused.value.code == 404
    refused.value.close()


def test_s3_storage_is_configured_from_the_environment():
    resolved = resolved_settings(
        "STORAGES",
        "CONTENT_SECURITY_POLICY",
        DJANGO_SECRET_KEY=STRONG_KEY,
        MARKUP_S3_BUCKET="markup-media",
        MARKUP_S3_CUSTOM_DOMAIN="media.example.com",
    )
    options = resolved["STORAGES"]["default"]["OPTIONS"]
    assert resolved["STORAGES"]["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["bucket_name"] == "markup-media"
    assert options["querystring_auth"] is False
    img_src = resolved["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"]
    assert "https://media.example.com" in img_src


@pytest.fixture
def s3_server(tmp_path):
    """moto's S3-compatible server on 127.0.0.1, with a bucket."""
    import boto3

    port = free_port()
    log = (tmp_path / "moto.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not port_open(port):
            assert process.poll() is None and time.monotonic() < deadline, "moto did not start"
            time.sleep(0.1)
        endpoint = f"http://127.0.0.1:{port}"
        credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **credentials)
        s3.create_bucket(Bucket="markup-media")
        # Readers fetch images by plain URLs: the bucket is readable by anyone.
        public_read = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::markup-media/*",
                }
            ],
        }
        s3.put_bucket_policy(Bucket="markup-media", Policy=json.dumps(public_read))
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.mark.django_db
def test_images_are_stored_in_and_served_from_an_s3_compatible_bucket(
    s3_server, settings, monkeypatch, make_post
):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    settings.STORAGES = settings.STORAGES | {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "markup-media",
                "endpoint_url": s3_server,
                "region_name": "us-east-1",
                "querystring_auth": False,
                "file_overwrite": False,
                "object_parameters": {"CacheControl": CACHE_FOREVER},
            },
        }
    }
    image = Image.upload(SimpleUploadedFile("p.png", png((1000, 500))), alt_text="Blue")
    assert image.url.startswith(f"{s3_server}/markup-media/images/")
    status, headers, body = fetch(image.url)
    assert status == 200
    assert headers["Content-Type"] == "image/png"
    assert headers["Cache-Control"] == CACHE_FOREVER
    assert Pillow.open(io.BytesIO(body)).size == (1000, 500)
    post = make_post(body=f"![Blue]({image.url})")
    assert f'srcset="{s3_server}/markup-media/images/{image.content_hash}-480w.png 480w' in (
        post.body_html
    )
