"""Pictures in the post editor, in Chromium: the button, drag-and-drop, refusals.

A real gunicorn under markup's Content-Security-Policy; every page records CSP
violations and console errors (see ``watched_page`` in conftest.py).
"""

import base64
import re

import pytest
from playwright.sync_api import expect

from tests.servers import create_superuser, gunicorn
from tests.test_images import picture_file

pytestmark = pytest.mark.server

PASSWORD = "a long author password 7"


@pytest.fixture(scope="module")
def editor_site(prepared_site, tmp_path_factory):
    """gunicorn serving the admin, with a media folder of its own."""
    environment, folder = prepared_site
    environment = environment | {"DJANGO_MEDIA_ROOT": str(tmp_path_factory.mktemp("media"))}
    create_superuser(environment, "grace", PASSWORD)
    with gunicorn(environment, folder) as (base_url, _):
        yield base_url


def open_editor(page, site):
    page.goto(f"{site}/admin/login/")
    page.fill("#id_username", "grace")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{site}/admin/")
    page.goto(f"{site}/admin/posts/post/add/")
    page.on("dialog", lambda dialog: dialog.accept("A red square"))


def test_the_editor_button_uploads_and_inserts_at_the_cursor(editor_site, page, tmp_path):
    path = tmp_path / "square.png"
    path.write_bytes(picture_file("PNG", size=(700, 350)).read())
    open_editor(page, editor_site)
    page.fill("#id_body", "Before\n\nAfter")
    page.evaluate("document.querySelector('#id_body').setSelectionRange(8, 8)")
    with page.expect_file_chooser() as chooser:
        page.click(".image-upload-button")
    chooser.value.set_files(path)
    body = page.locator("#id_body")
    expect(body).to_have_value(
        re.compile(r"^Before\n\n!\[A red square\]\(/media/images/[0-9a-f]{64}\.png\)\n\nAfter$")
    )
    preview_image = page.locator(".post-preview img")
    expect(preview_image).to_have_attribute("width", "700")
    expect(preview_image).to_have_attribute("srcset", re.compile(r"-480w\.png 480w"))
    assert page.problems == []


def test_dropping_a_picture_on_the_editor_uploads_it(editor_site, page):
    open_editor(page, editor_site)
    data = base64.b64encode(picture_file("GIF").read()).decode()
    page.evaluate(
        """(data) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "dot.gif", { type: "image/gif" }));
            const body = document.querySelector("#id_body");
            body.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true }));
        }""",
        data,
    )
    expect(page.locator("#id_body")).to_have_value(
        re.compile(r"!\[A red square\]\(/media/images/[0-9a-f]{64}\.gif\)")
    )
    expect(page.locator(".image-upload-status")).to_have_text("Picture inserted.")
    assert page.problems == []


def test_the_editor_names_a_refused_file(editor_site, page, tmp_path):
    path = tmp_path / "drawing.png"
    path.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    open_editor(page, editor_site)
    with page.expect_file_chooser() as chooser:
        page.click(".image-upload-button")
    chooser.value.set_files(path)
    expect(page.locator(".image-upload-status")).to_contain_text("not a JPEG, PNG, GIF or WebP")
    expect(page.locator("#id_body")).to_have_value("")
