from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F
from django.utils import timezone

from posts import rendering
from posts.models import Page, Post, Tag, body_digest

pytestmark = pytest.mark.django_db


def visible_titles():
    return set(Post.objects.published().values_list("title", flat=True))


def test_published_includes_only_published_posts_whose_time_has_come(make_post, now):
    make_post(title="Live")
    make_post(title="Draft", status=Post.Status.DRAFT)
    make_post(title="Scheduled", published_at=timezone.now() + timedelta(hours=1))
    assert visible_titles() == {"Live"}


def test_scheduled_post_appears_when_its_time_comes(make_post, now):
    make_post(title="Scheduled", published_at=timezone.now() + timedelta(hours=1))
    now.shift(timedelta(minutes=59))
    assert visible_titles() == set()
    now.shift(timedelta(minutes=1))
    assert visible_titles() == {"Scheduled"}


def test_draft_with_a_past_time_stays_hidden(make_post, now):
    make_post(title="Old draft", status=Post.Status.DRAFT)
    assert visible_titles() == set()


def test_publishing_without_a_time_publishes_now(make_post, now):
    post = make_post(published_at=None)
    assert post.published_at == timezone.now()
    assert post.is_public


def test_database_refuses_a_published_post_without_a_time(make_post):
    post = make_post()
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.filter(pk=post.pk).update(published_at=None)


def test_save_renders_body_html_and_derived_fields(make_post):
    post = make_post(body="# Head\n\nSome *words* here.")
    assert post.body_html.startswith('<h1 id="head">')
    assert post.toc == [{"level": 1, "text": "Head", "anchor": "head"}]
    assert post.excerpt == "Some words here."
    assert post.word_count == 4
    assert post.rendered_digest == body_digest(post.body)


def test_saving_a_new_body_rerenders(make_post):
    post = make_post(body="old")
    post.body = "new **bold**"
    post.save()
    post.refresh_from_db()
    assert post.body_html == "<p>new <strong>bold</strong></p>\n"


def test_save_with_update_fields_including_body_writes_the_html(make_post):
    post = make_post(body="old")
    post.body = "fresh"
    post.save(update_fields=["body"])
    post.refresh_from_db()
    assert "fresh" in post.body_html


def test_queryset_update_of_body_renders(make_post):
    post = make_post(body="old")
    Post.objects.filter(pk=post.pk).update(body="*bulk*")
    post.refresh_from_db()
    assert post.body_html == "<p><em>bulk</em></p>\n"
    assert post.rendered_digest == body_digest("*bulk*")


def test_queryset_update_of_body_with_an_expression_is_refused(make_post):
    post = make_post(body="old")
    with pytest.raises(TypeError, match="cannot render Markdown"):
        Post.objects.filter(pk=post.pk).update(body=F("title"))
    post.refresh_from_db()
    assert post.body == "old"


def test_bulk_create_renders(author):
    Post.objects.bulk_create(
        [Post(title=f"P{i}", slug=f"p{i}", body=f"**{i}**", author=author) for i in range(3)]
    )
    assert list(Post.objects.order_by("slug").values_list("body_html", flat=True)) == [
        f"<p><strong>{i}</strong></p>\n" for i in range(3)
    ]


def test_bulk_update_of_body_renders(make_post):
    posts = [make_post(title=f"P{i}") for i in range(2)]
    for post in posts:
        post.body = "_changed_"
    Post.objects.bulk_update(posts, ["body"])
    assert set(Post.objects.values_list("body_html", flat=True)) == {"<p><em>changed</em></p>\n"}


def test_database_refuses_a_body_that_was_never_rendered(make_post):
    post = make_post()
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.filter(pk=post.pk).update(rendered_digest="")


def historical_post_model():
    state = MigrationExecutor(connection).loader.project_state(("posts", "0001_initial"))
    return state.apps.get_model("posts", "Post")


def test_data_migration_bulk_writes_render(make_post):
    post = make_post(body="old")
    historical_post_model().objects.filter(pk=post.pk).update(body="from a *migration*")
    post.refresh_from_db()
    assert post.body_html == "<p>from a <em>migration</em></p>\n"


def test_data_migration_cannot_create_an_unrendered_post(author):
    HistoricalPost = historical_post_model()
    with pytest.raises(IntegrityError), transaction.atomic():
        HistoricalPost.objects.create(title="T", slug="t", body="x", author_id=author.pk)


def test_migrate_rerenders_posts_a_data_migration_saved_stale(make_post):
    post = make_post(body="old")
    stale = historical_post_model().objects.get(pk=post.pk)
    stale.body = "edited in a *migration*"
    stale.save()
    call_command("migrate", verbosity=0)
    post.refresh_from_db()
    assert post.body_html == "<p>edited in a <em>migration</em></p>\n"


def test_migrate_rerenders_after_the_pipeline_version_changes(make_post, monkeypatch):
    post = make_post(body="text")
    Post.objects.filter(pk=post.pk).update(body_html="<p>old pipeline</p>")
    monkeypatch.setattr(rendering, "VERSION", "next")
    call_command("migrate", verbosity=0)
    post.refresh_from_db()
    assert post.body_html == "<p>text</p>\n"


def test_migrate_rerenders_pages_after_the_pipeline_version_changes(db, monkeypatch):
    page = Page.objects.create(title="About", slug="about", body="text")
    Page.objects.filter(pk=page.pk).update(body_html="<p>old pipeline</p>")
    monkeypatch.setattr(rendering, "VERSION", "next")
    call_command("migrate", verbosity=0)
    page.refresh_from_db()
    assert page.body_html == "<p>text</p>\n"


def test_oversized_body_is_a_validation_error_and_is_never_stored(make_post, author):
    post = Post(title="Big", body="x" * (rendering.MAX_SOURCE_BYTES + 1), author=author)
    with pytest.raises(ValidationError) as error:
        post.full_clean()
    assert "the limit is 256 KB" in error.value.message_dict["body"][0]
    with pytest.raises(ValueError):
        post.save()
    assert not Post.objects.exists()


def test_slug_is_made_from_the_title(make_post):
    assert make_post(title="Hello, World!").slug == "hello-world"


def test_clashing_slugs_get_a_numeric_suffix(make_post):
    slugs = [make_post(title="Same title").slug for _ in range(3)]
    assert slugs == ["same-title", "same-title-2", "same-title-3"]


def test_slug_survives_a_title_change(make_post):
    post = make_post(title="First")
    post.title = "Second"
    post.save()
    assert post.slug == "first"


def test_slug_of_a_public_post_can_be_changed(make_post):
    post = make_post(title="Live")
    post.slug = "elsewhere"
    post.full_clean()  # the old address redirects: see test_redirects.py


def test_slug_of_a_draft_can_be_changed(make_post):
    post = make_post(title="Draft", status=Post.Status.DRAFT)
    post.slug = "better"
    post.full_clean()


def test_title_without_letters_still_gets_a_slug(make_post):
    assert make_post(title="!!!").slug == "post"


def test_tag_slug_is_made_from_the_name():
    assert Tag.objects.create(name="Django Tips").slug == "django-tips"


def test_teaser_prefers_the_summary(make_post):
    assert make_post(summary="Short.", body="Long body.").teaser == "Short."
    assert make_post(summary="", body="Long body.").teaser == "Long body."


def test_publish_and_unpublish(make_post, now):
    post = make_post(status=Post.Status.DRAFT, published_at=None)
    post.publish()
    assert post.is_public and post.published_at == timezone.now()
    post.unpublish()
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT


def test_publishing_a_scheduled_post_now_moves_its_time(make_post, now):
    post = make_post(published_at=timezone.now() + timedelta(days=2))
    assert post.is_scheduled
    post.publish()
    assert post.is_public and post.published_at == timezone.now()


def test_was_updated_only_after_a_later_edit(make_post, now):
    post = make_post(published_at=timezone.now())
    assert not post.was_updated
    now.shift(timedelta(days=3))
    post.save()
    assert post.was_updated


def test_a_slug_taken_while_saving_is_replaced_by_a_free_one(make_post, monkeypatch):
    from posts import models

    make_post(title="Race")
    real_unique_slug = models.unique_slug
    answers = iter(["race"])  # what a concurrent request saw before "race" was taken

    def racing_unique_slug(*args, **kwargs):
        return next(answers, None) or real_unique_slug(*args, **kwargs)

    monkeypatch.setattr(models, "unique_slug", racing_unique_slug)
    assert make_post(title="Race").slug == "race-2"


def test_tag_names_are_unique_ignoring_case():
    Tag.objects.create(name="Django")
    with pytest.raises(ValidationError, match="A tag with this name already exists."):
        Tag(name="django").full_clean()


def test_is_public_agrees_with_published(make_post, now):
    posts = [
        make_post(title="Live"),
        make_post(title="Draft", status=Post.Status.DRAFT),
        make_post(title="Undated draft", status=Post.Status.DRAFT, published_at=None),
        make_post(title="Scheduled", published_at=timezone.now() + timedelta(hours=1)),
        make_post(title="Due now", published_at=timezone.now()),
    ]
    published = set(Post.objects.published())
    assert [post.is_public for post in posts] == [post in published for post in posts]
    assert [post.is_public for post in posts] == [True, False, False, False, True]


def test_slugs_keep_the_letters_of_any_script(make_post):
    assert make_post(title="Привет, мир").slug == "привет-мир"
    assert make_post(title="Ça va? Très bien").slug == "ça-va-très-bien"
