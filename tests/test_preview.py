"""The editor's live preview: a staff-only POST that renders as saving does."""

import pytest
from django.test import Client
from django.urls import reverse

from posts import rendering
from posts.models import Post

pytestmark = pytest.mark.django_db

PREVIEW = reverse("admin:posts_post_preview")


@pytest.fixture
def editor_client(client, staff):
    client.force_login(staff)
    return client


def test_preview_renders_the_body_with_its_word_count_and_reading_time(editor_client):
    response = editor_client.post(PREVIEW, {"body": "Hello *preview*\n\n" + "word " * 460})
    assert response.status_code == 200
    answer = response.json()
    assert answer["html"].startswith("<p>Hello <em>preview</em></p>\n")
    assert answer["word_count"] == 462
    assert answer["reading_minutes"] == 3


def test_preview_is_exactly_what_saving_renders(editor_client, staff, settings):
    tour = (settings.BASE_DIR / "posts/demo/markdown-tour.md").read_text()
    preview = editor_client.post(PREVIEW, {"body": tour}).json()
    editor_client.post(
        reverse("admin:posts_post_add"),
        {
            "title": "Tour",
            "slug": "",
            "author": staff.pk,
            "body": tour,
            "summary": "",
            "status": Post.Status.DRAFT,
            "published_at_0": "",
            "published_at_1": "",
        },
    )
    saved = Post.objects.get()
    assert preview["html"] == saved.body_html
    assert preview["word_count"] == saved.word_count
    assert preview["reading_minutes"] == saved.reading_minutes


def test_an_empty_body_previews_as_nothing(editor_client):
    assert editor_client.post(PREVIEW, {"body": ""}).json()["html"] == ""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x" * (rendering.MAX_SOURCE_BYTES + 1), "the limit is 256 KB"),
        ("> " * 30 + "deep", "nested more than 20 levels deep"),
        ("a\x00b", "Null characters are not allowed."),
    ],
    ids=["too-large", "too-deep", "nul-character"],
)
def test_a_body_saving_would_refuse_gets_the_same_message(editor_client, body, message):
    response = editor_client.post(PREVIEW, {"body": body})
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_a_request_larger_than_any_post_is_a_bad_request(editor_client, settings):
    body = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    assert editor_client.post(PREVIEW, {"body": body}).status_code == 400


def test_anonymous_visitors_get_403(client):
    response = client.post(PREVIEW, {"body": "hi"})
    assert response.status_code == 403
    assert "<p>hi</p>" not in response.text


def test_signed_in_users_who_are_not_staff_get_403(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("reader", password="pw-reader-1"))
    assert client.post(PREVIEW, {"body": "hi"}).status_code == 403


def test_staff_without_permission_to_write_posts_get_403(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("clerk", is_staff=True))
    assert client.post(PREVIEW, {"body": "hi"}).status_code == 403


def test_preview_requires_the_csrf_token(staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.post(PREVIEW, {"body": "hi"}).status_code == 403
    # The token as the editor's script sends it: from the form it was loaded with.
    form_page = client.get(reverse("admin:posts_post_add"))
    token = form_page.context["csrf_token"]
    answer = client.post(PREVIEW, {"body": "hi", "csrfmiddlewaretoken": token})
    assert answer.status_code == 200
    assert answer.json()["html"] == "<p>hi</p>\n"


def test_preview_answers_only_post(editor_client):
    assert editor_client.get(PREVIEW).status_code == 405


def test_preview_is_never_cached(editor_client):
    response = editor_client.post(PREVIEW, {"body": "hi"})
    assert "no-cache" in response["Cache-Control"]
