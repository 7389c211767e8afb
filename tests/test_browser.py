"""The Django admin works in a real browser under markup's Content-Security-Policy.

Debian's Chromium, driven by Playwright, against a real gunicorn: an author signs in,
writes and publishes a post and reads it on the site, and the browser reports no CSP
violation on any page it visited.
"""

import time

import pytest
from playwright.sync_api import expect

from tests.servers import create_superuser, gunicorn

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def site(prepared_site):
    environment, folder = prepared_site
    create_superuser(environment, "grace", "a long author password 7")
    with gunicorn(environment, folder) as (base_url, _):
        yield base_url


def test_an_author_publishes_a_post_through_the_admin_without_csp_violations(site, page):
    visited = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))

    page.goto(f"{site}/admin/")
    page.fill("#id_username", "grace")
    page.fill("#id_password", "a long author password 7")
    page.click("input[type=submit]")
    page.wait_for_url(f"{site}/admin/")
    assert "Site administration" in page.content()

    page.goto(f"{site}/admin/posts/post/add/")
    page.locator("#id_title").press_sequentially("Written in Chromium")
    # The admin's own JavaScript fills in the slug: scripts run under the policy.
    expect(page.locator("#id_slug")).to_have_value("written-in-chromium")
    page.fill("#id_body", "Hello from a **real browser**.\n\n```python\nprint('hi')\n```\n")
    # filter_horizontal's widget, built by admin JavaScript.
    page.click("#id_tags_add_all")
    page.select_option("#id_status", "published")
    page.click("input[name=_save]")
    page.wait_for_url(f"{site}/admin/posts/post/")
    assert "was added successfully" in page.content()

    # Its change page: the saved preview, highlighted, and the admin's date widgets.
    page.locator("#result_list").get_by_role("link", name="Written in Chromium").click()
    expect(page.locator(".field-rendered_preview .post-preview .highlight")).to_be_visible()
    page.click("#calendarlink0")
    expect(page.locator("#calendarbox0")).to_be_visible()
    page.goto(f"{site}/admin/posts/post/?status__exact=published")
    expect(
        page.locator("#result_list").get_by_role("link", name="Written in Chromium")
    ).to_be_visible()

    response = page.goto(f"{site}/posts/written-in-chromium/")
    assert response.status == 200
    assert page.locator("article strong").inner_text() == "real browser"
    assert page.evaluate("getComputedStyle(document.body).fontFamily") != ""

    assert len(visited) >= 6
    assert page.problems == []


def test_the_policy_really_blocks_inline_script(site, page):
    """The listener above works: an injected inline script is reported, not run."""
    page.goto(f"{site}/")
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.inlineRan = true";
            document.body.append(script);
        }"""
    )
    deadline = time.monotonic() + 5
    while not page.problems and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # the report arrives asynchronously
    assert page.evaluate("window.inlineRan") is None
    assert any("script-src" in problem for problem in page.problems)
