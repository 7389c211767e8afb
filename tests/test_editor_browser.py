"""The post editor in Chromium: live preview, unsaved text kept, and no lost update.

A real gunicorn under markup's Content-Security-Policy; every page records CSP
violations and console errors (see ``watched_page`` in conftest.py).
"""

import pytest
from playwright.sync_api import expect

from tests.conftest import watched_page
from tests.servers import create_superuser, gunicorn
from tests.test_quality import AXE

pytestmark = pytest.mark.server

PASSWORD = "a long author password 7"
ADD = "/admin/posts/post/add/"


@pytest.fixture(scope="module")
def site(prepared_site):
    environment, folder = prepared_site
    for username in ("grace", "mary"):
        create_superuser(environment, username, PASSWORD)
    with gunicorn(environment, folder) as (base_url, _):
        yield base_url


def sign_in(page, site, username="grace"):
    page.goto(f"{site}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{site}/admin/")


def add_post(page, site, title: str, body: str) -> str:
    """Add a draft through the admin; the address of its change page."""
    page.goto(site + ADD)
    page.fill("#id_title", title)
    page.fill("#id_body", body)
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    return page.url


def test_the_preview_follows_typing_under_the_policy(site, page):
    previews = []
    page.on("request", lambda request: "/preview/" in request.url and previews.append(request))
    sign_in(page, site)
    page.goto(site + ADD)
    preview = page.locator(".markdown-preview .post-preview")
    status = page.locator(".markdown-preview-status")
    expect(status).to_have_attribute("aria-live", "polite")
    typed = "Hello **bold** world"
    page.locator("#id_body").press_sequentially(typed, delay=20)
    expect(preview.locator("strong")).to_have_text("bold")
    expect(status).to_have_text("3 words · 1 min read")
    # One request for the empty form, then about one per pause in typing.
    assert len(previews) < len(typed) / 2
    # The preview is reachable from the keyboard, right after the editor.
    page.focus("#id_body")
    page.keyboard.press("Tab")
    expect(preview).to_be_focused()
    assert page.problems == []


def test_pages_have_the_same_editor_preview_and_unsaved_text(site, page):
    sign_in(page, site)
    page.goto(f"{site}/admin/posts/page/add/")
    page.locator("#id_body").press_sequentially("About *us*", delay=20)
    expect(page.locator(".markdown-preview .post-preview em")).to_have_text("us")
    page.reload()  # the text typed is offered back
    expect(page.locator(".unsaved-offer")).to_be_visible()
    assert page.problems == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation_in_the_editor_the_preview_and_the_offer(site, browser, scheme):
    if not AXE.exists():
        pytest.skip("axe-core is absent: npm ci --prefix tests/tools (bin/test does)")
    page = watched_page(browser)
    try:
        page.emulate_media(color_scheme=scheme)
        sign_in(page, site)
        page.goto(site + ADD)
        page.fill("#id_body", "## Checked\n\nBy **axe**, with `code`.\n\n```python\nx = 1\n```")
        page.reload()  # the text typed is offered back
        expect(page.locator(".unsaved-offer")).to_be_visible()
        expect(page.locator(".markdown-preview-status")).to_contain_text("word")
        page.evaluate(AXE.read_text())
        violations = page.evaluate(
            """async () => (await axe.run(
                {include: [[".markdown-editor"], [".unsaved-offer"]]}
            )).violations"""
        )
        assert [(v["id"], [n["html"] for n in v["nodes"]]) for v in violations] == []
    finally:
        page.context.close()


def test_a_refused_body_shows_its_message_in_the_preview(site, page):
    sign_in(page, site)
    page.goto(site + ADD)
    page.fill("#id_body", "> " * 30 + "deep")
    preview = page.locator(".markdown-preview .post-preview")
    expect(preview).to_contain_text("nested more than 20 levels deep")
    expect(page.locator(".markdown-preview-status")).to_contain_text("nested more than 20")
    # The browser reports the preview's 400 answer; nothing else went wrong.
    assert all("status of 400" in problem for problem in page.problems)


def test_unsaved_text_is_offered_back_and_cleared_by_saving(site, page):
    sign_in(page, site)
    change_page = add_post(page, site, "Kept text", "Saved text")
    page.fill("#id_body", "Saved text, and more typed before the tab closed")
    context = page.context
    page.close()

    reopened = context.new_page()
    reopened.goto(change_page)
    offer = reopened.locator(".unsaved-offer")
    expect(offer).to_contain_text("Restore unsaved text from")
    expect(reopened.locator("#id_body")).to_have_value("Saved text")
    offer.get_by_role("button", name="Restore").click()
    expect(offer).to_have_count(0)
    expect(reopened.locator("#id_body")).to_have_value(
        "Saved text, and more typed before the tab closed"
    )
    expect(reopened.locator(".markdown-preview .post-preview")).to_contain_text("and more")

    reopened.click("input[name=_save]")
    expect(reopened.locator(".messagelist .success")).to_be_visible()
    reopened.goto(change_page)
    expect(reopened.locator("#id_body")).to_have_value(
        "Saved text, and more typed before the tab closed"
    )
    expect(reopened.locator(".markdown-preview .post-preview")).to_contain_text("and more")
    expect(reopened.locator(".unsaved-offer")).to_have_count(0)
    kept = reopened.evaluate("Object.keys(localStorage).filter(k => k.startsWith('markup:'))")
    assert kept == []
    assert page.problems == []


def test_text_written_while_the_session_expired_is_offered_after_signing_in(site, page):
    sign_in(page, site)
    change_page = add_post(page, site, "Long session", "Start")
    page.fill("#id_body", "Start, and an hour of writing")
    page.context.clear_cookies(name="sessionid")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/login/**")
    page.fill("#id_username", "grace")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(change_page)
    expect(page.locator(".unsaved-offer")).to_contain_text("Restore unsaved text from")
    page.get_by_role("button", name="Restore").click()
    expect(page.locator("#id_body")).to_have_value("Start, and an hour of writing")
    assert page.problems == []


def test_discarding_the_offer_forgets_the_copy(site, page):
    sign_in(page, site)
    page.goto(site + ADD)
    page.fill("#id_body", "A draft I do not want")
    page.reload()
    page.get_by_role("button", name="Discard").click()
    page.reload()
    expect(page.locator("#id_body")).to_have_value("")
    expect(page.locator(".unsaved-offer")).to_have_count(0)


def test_of_two_authors_editing_one_post_the_second_save_is_refused(site, browser, page):
    sign_in(page, site, "grace")
    change_page = add_post(page, site, "Edited by two", "The first text")
    mary = watched_page(browser)
    try:
        sign_in(mary, site, "mary")
        mary.goto(change_page)
        page.goto(change_page)

        mary.fill("#id_body", "Mary's version")
        mary.click("input[name=_continue]")
        expect(mary.locator(".messagelist .success")).to_be_visible()

        page.fill("#id_body", "Grace's version")
        page.click("input[name=_continue]")
        expect(page.locator(".errornote")).to_be_visible()
        expect(page.locator(".errorlist.nonfield")).to_contain_text("mary saved this post at")
        expect(page.locator("#id_body")).to_have_value("Grace's version")
        expect(page.locator(".revision-conflict ins")).to_contain_text("Grace's version")
        expect(page.locator(".revision-conflict del")).to_contain_text("Mary's version")

        mary.reload()
        expect(mary.locator("#id_body")).to_have_value("Mary's version")
        assert page.problems == [] and mary.problems == []
    finally:
        mary.context.close()
