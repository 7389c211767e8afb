"""Search: /search/?q=WORDS over published posts, on SQLite (FTS5) and PostgreSQL."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings, strategies
from pytest_django.asserts import assertContains, assertInHTML, assertNotContains

from posts import caching
from posts.models import Post, SiteSettings
from posts.search import (
    DOCUMENT_COLUMN,
    INDEX_NAME,
    MAX_QUERY_LENGTH,
    clean_query,
    fts5_query,
    matching_posts,
)

pytestmark = pytest.mark.django_db

SEARCH = reverse("posts:search")


def found(client, words, **parameters) -> list[str]:
    response = client.get(SEARCH, {"q": words, **parameters})
    assert response.status_code == 200
    return [post.title for post in response.context["page"]]


def days_ago(days):
    return timezone.now() - timedelta(days=days)


def test_title_matches_rank_above_body_matches(client, make_post):
    make_post(title="Gardening", published_at=days_ago(3))
    make_post(title="Other", body="gardening " * 50, published_at=days_ago(1))
    assert found(client, "gardening") == ["Gardening", "Other"]


def test_summary_matches_rank_between_title_and_body_matches(client, make_post):
    make_post(title="Body", body="A word on lighthouses.", published_at=days_ago(1))
    make_post(title="Summary", summary="All about lighthouses.", published_at=days_ago(2))
    make_post(title="Lighthouses", published_at=days_ago(3))
    assert found(client, "lighthouses") == ["Lighthouses", "Summary", "Body"]


@pytest.mark.parametrize("field", ["title", "summary", "body"])
def test_finds_words_in_each_field(client, make_post, field):
    make_post(**{field: "Of otters and beavers"})
    make_post(title="Unrelated", body="Nothing here.")
    assert len(found(client, "beavers")) == 1


def test_english_words_are_stemmed(client, make_post):
    make_post(title="Published at last", body="The posts were published.")
    assert found(client, "publishing") == ["Published at last"]


def test_every_word_must_match(client, make_post):
    make_post(title="Red apples")
    make_post(title="Green apples")
    assert found(client, "green apples") == ["Green apples"]


def test_quoted_words_match_as_a_phrase(client, make_post):
    make_post(title="Night owl", body="The night was long.")
    make_post(title="Other", body="An owl flew through the night.")
    assert found(client, '"night owl"') == ["Night owl"]


def test_or_makes_words_alternatives(client, make_post):
    make_post(title="Cats", published_at=days_ago(1))
    make_post(title="Dogs", published_at=days_ago(2))
    make_post(title="Fish", published_at=days_ago(3))
    assert sorted(found(client, "cats or dogs")) == ["Cats", "Dogs"]


def test_or_binds_loosest(client, make_post):
    make_post(title="Cats", published_at=days_ago(1))
    make_post(title="Dogs", published_at=days_ago(2))
    make_post(title="Dogs and fish", published_at=days_ago(3))
    assert sorted(found(client, "cats or dogs fish")) == ["Cats", "Dogs and fish"]


def test_a_minus_excludes_a_word(client, make_post):
    make_post(title="Tea with milk")
    make_post(title="Tea with lemon")
    assert found(client, "tea -milk") == ["Tea with lemon"]


def test_drafts_and_scheduled_posts_are_never_found(client, make_post):
    make_post(title="Visible kestrel")
    make_post(title="Draft kestrel", status=Post.Status.DRAFT)
    make_post(title="Scheduled kestrel", published_at=timezone.now() + timedelta(days=1))
    response = client.get(SEARCH, {"q": "kestrel"})
    assert [post.title for post in response.context["page"]] == ["Visible kestrel"]
    assertNotContains(response, "Draft kestrel")
    assertNotContains(response, "Scheduled kestrel")


def test_results_show_title_link_date_excerpt_and_count(client, make_post):
    post = make_post(title="Harbour", body="Boats rest in the harbour at night.")
    response = client.get(SEARCH, {"q": "boats"})
    assertContains(response, "1 result for “boats”")
    assertInHTML(f'<a href="{post.get_absolute_url()}">Harbour</a>', response.text)
    assertContains(response, f'datetime="{post.published_at.replace(microsecond=0).isoformat()}"')
    assertContains(response, "<mark>Boats</mark> rest in the harbour at night.")


def test_matched_words_are_marked_in_title_and_excerpt(client, make_post):
    post = make_post(title="Winter swimming", summary="Cold water swimming, explained.")
    response = client.get(SEARCH, {"q": "swimming"})
    assertInHTML(
        f'<a href="{post.get_absolute_url()}">Winter <mark>swimming</mark></a>', response.text
    )
    assertContains(response, "Cold water <mark>swimming</mark>, explained.")


def test_a_match_in_the_body_shows_its_words_without_markdown(client, make_post):
    body = (
        "Intro.\n\n## Harbour notes\n\nA **bold** walk past [the lighthouse](https://example.com/l)"
        " and `ropes`.\n\n```\nknots = 3\n```"
    )
    make_post(title="Walks", body=body)
    response = client.get(SEARCH, {"q": "lighthouse"})
    excerpt = re.search(
        r'<article class="post-summary search-result">.*?</article>', response.text, re.S
    )
    assert "A bold walk past the <mark>lighthouse</mark> and ropes." in excerpt.group()
    for syntax in ("**", "](", "`", "##", "https://example.com/l"):
        assert syntax not in excerpt.group()


def test_a_title_only_match_shows_the_teaser(client, make_post):
    make_post(title="Volcanoes", summary="A short tour of the Andes.")
    response = client.get(SEARCH, {"q": "volcanoes"})
    assertInHTML("<p>A short tour of the Andes.</p>", response.text)


def test_post_text_is_escaped_in_results(client, make_post):
    make_post(
        title="<script>alert(1)</script> wombat",
        summary="<img src=x onerror=alert(2)> wombat",
        body="<script>alert(3)</script> wombat",
    )
    response = client.get(SEARCH, {"q": "wombat"})
    assert "<script>alert" not in response.text
    assert "<img src=x" not in response.text
    assertContains(response, "&lt;script&gt;alert(1)&lt;/script&gt; <mark>wombat</mark>")
    assertContains(response, "&lt;img src=x onerror=alert(2)&gt; <mark>wombat</mark>")


def test_the_query_is_echoed_escaped(client, make_post):
    make_post(title="Bold")
    response = client.get(SEARCH, {"q": '<b>bold</b> "><script>x</script>'})
    assert "<b>bold" not in response.text
    assert "<script>x" not in response.text
    assertContains(response, "&lt;b&gt;bold&lt;/b&gt;")


def test_match_markers_in_post_text_cannot_open_elements(client, make_post):
    make_post(title="Markers \ue000 unpaired", body="\ue001 oddity \ue000<b>\ue001")
    response = client.get(SEARCH, {"q": "oddity"})
    assert "<b>" not in response.text
    assert "\ue000" not in response.text and "\ue001" not in response.text
    assertContains(response, "<mark>oddity</mark>")


def test_pagination_keeps_the_query(client, make_post, settings):
    SiteSettings.objects.update_or_create(pk=1, defaults={"posts_per_page": 2})
    for day in range(5):
        make_post(title=f"Comet {day}", published_at=days_ago(day + 1))
    first = client.get(SEARCH, {"q": "comet"})
    assertContains(first, '<a href="?q=comet&amp;page=2" rel="next">More results</a>', html=True)
    assertContains(first, "5 results for “comet”")
    assert found(client, "comet", page=3) == ["Comet 4"]
    last = client.get(SEARCH, {"q": "comet", "page": 3})
    assertContains(last, '<a href="?q=comet&amp;page=2" rel="prev">Previous results</a>', html=True)


def test_a_page_past_the_end_is_not_found(client, make_post):
    make_post(title="Comet")
    assert client.get(SEARCH, {"q": "comet", "page": 2}).status_code == 404


@pytest.mark.parametrize("words", ["", "   ", None])
def test_an_empty_query_prompts_and_runs_no_query(
    client, make_post, words, django_assert_num_queries
):
    make_post(title="Anything")
    parameters = {} if words is None else {"q": words}
    with django_assert_num_queries(2):  # the site's settings and navigation; no search
        response = client.get(SEARCH, parameters)
    assert response.status_code == 200
    assert response.context["page"] is None
    assertContains(response, "Type the words to look for.")
    assertNotContains(response, "Anything")


def test_nothing_found_says_so(client, make_post):
    make_post(title="Anything")
    assertContains(client.get(SEARCH, {"q": "zebra"}), "0 results for “zebra”")


HOSTILE = [
    "x" * 10_000,
    "word " * 2_000,
    '"',
    '"unclosed phrase',
    "'; DROP TABLE posts_post; --",
    "& | ! : * ( ) ^ ~ + - < > { } [ ] \\",
    "a & b | !c",
    "title:comet",
    "comet*",
    "NEAR(comet ferry, 2)",
    "comet AND OR NOT ferry",
    "- -- -comet",
    "or or OR",
    '"" "" ""',
    "<script>alert(1)</script>",
    "😀 🚀 comet",
    "\u200b\ufeff\u202e comet",
    "\ue000comet\ue001",
    "%00 %s %(x)s {}",
]


@pytest.mark.parametrize("words", HOSTILE)
def test_hostile_queries_never_fail(client, make_post, words):
    make_post(title="Comet ferry", body="A comet and a ferry.")
    response = client.get(SEARCH, {"q": words})
    assert response.status_code == 200
    assert "<script>alert" not in response.text


def test_a_nul_character_in_the_query_is_a_bad_request(client, make_post):
    assert client.get(SEARCH, {"q": "comet\x00"}).status_code == 400


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=strategies.text(strategies.characters(codec="utf-8", exclude_characters="\x00")))
def test_any_text_is_a_valid_query(make_post, words):
    matching_posts(clean_query(words)).count()


def test_long_queries_are_cut(client, make_post):
    make_post(title="Comet")
    response = client.get(SEARCH, {"q": "comet " + "x" * 1000})
    assert len(response.context["words"]) == MAX_QUERY_LENGTH
    assertContains(response, f'maxlength="{MAX_QUERY_LENGTH}"')


def test_clean_query_folds_spaces_and_cuts():
    assert clean_query("  comet \t\n ferry  ") == "comet ferry"
    assert len(clean_query("word " * 100)) <= MAX_QUERY_LENGTH


def test_query_count_is_fixed(client, make_post, settings, django_assert_num_queries):
    SiteSettings.objects.update_or_create(pk=1, defaults={"posts_per_page": 3})
    # Count and page; SQLite marks the page's matches in one more query (see SqliteResults);
    # then the matching standalone pages, in one query; the site's settings and navigation.
    expected = (3 if connection.vendor == "sqlite" else 2) + 1 + 2
    make_post(title="Comet 1", tags=["a"])
    with django_assert_num_queries(expected):
        client.get(SEARCH, {"q": "comet"})
    for number in range(2, 9):
        make_post(title=f"Comet {number}", tags=[f"t{number}"])
    with django_assert_num_queries(expected):
        client.get(SEARCH, {"q": "comet"})


def test_results_are_served_from_the_page_cache(
    client, make_post, settings, django_assert_num_queries
):
    settings.MARKUP_PAGE_CACHE_SECONDS = 300
    caching.content_changed()
    make_post(title="Comet")
    first = client.get(SEARCH, {"q": "comet"})
    with django_assert_num_queries(0):
        second = client.get(SEARCH, {"q": "comet"})
    assert second.content == first.content
    assert found(client, "ferry") == []
    make_post(title="Ferry")
    assert found(client, "ferry") == ["Ferry"]


def test_result_pages_are_not_indexed_by_search_engines(client, make_post):
    make_post(title="Comet")
    assertContains(client.get(SEARCH, {"q": "comet"}), '<meta name="robots" content="noindex">')


def test_search_refuses_unsafe_methods(client):
    assert client.post(SEARCH, {"q": "comet"}).status_code == 405


# The index follows every write path (on SQLite through triggers on posts_post).


def test_the_index_follows_saved_changes(client, make_post):
    post = make_post(title="Comet")
    post.title = "Ferry"
    post.save()
    assert found(client, "comet") == []
    assert found(client, "ferry") == ["Ferry"]


def test_the_index_follows_queryset_updates(client, make_post):
    post = make_post(title="Comet", body="old words")
    Post.objects.filter(pk=post.pk).update(body="new lantern", summary="a heron")
    assert found(client, "old") == []
    assert found(client, "lantern") == ["Comet"]
    assert found(client, "heron") == ["Comet"]


def test_the_index_follows_bulk_creation(client, author):
    published = {"author": author, "status": Post.Status.PUBLISHED, "published_at": days_ago(1)}
    Post.objects.bulk_create(
        Post(title=f"Bulk {word}", slug=word, body=word, **published)
        for word in ("lantern", "heron")
    )
    assert found(client, "heron") == ["Bulk heron"]


def test_the_index_follows_deletions(client, make_post):
    make_post(title="Comet").delete()
    make_post(title="Comet again")
    Post.objects.filter(title="Comet again").delete()
    assert found(client, "comet") == []


def test_the_index_follows_publication(client, make_post):
    post = make_post(title="Comet", status=Post.Status.DRAFT)
    assert found(client, "comet") == []
    post.publish()
    assert found(client, "comet") == ["Comet"]


# The index itself, as the migration made it.


@pytest.mark.sqlite
def test_sqlite_has_the_fts5_table_and_its_triggers():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name LIKE %s", [f"{INDEX_NAME}%"]
        )
        found_objects = {(kind, name): sql for kind, name, sql in cursor.fetchall()}
    table = found_objects[("table", INDEX_NAME)]
    assert "fts5" in table and "content='posts_post'" in table and "porter" in table
    for event in ("insert", "update", "delete"):
        assert ("trigger", f"{INDEX_NAME}_{event}") in found_objects, event


@pytest.mark.sqlite
def test_sqlite_index_matches_the_posts_after_every_kind_of_write(make_post, author):
    post = make_post(title="Comet", body="first words")
    post.body = "second words"
    post.save()
    Post.objects.filter(pk=post.pk).update(title="Ferry", summary="a heron")
    Post.objects.bulk_create([Post(title="Bulk", slug="bulk", body="lantern", author=author)])
    make_post(title="Gone").delete()
    with connection.cursor() as cursor:
        # Compares the index with the text in posts_post; raises on any difference.
        cursor.execute(
            f"INSERT INTO {INDEX_NAME}({INDEX_NAME}, rank) VALUES ('integrity-check', 1)"
        )


@pytest.mark.sqlite
def test_sqlite_searches_through_the_fts5_index(make_post):
    plan = matching_posts("comet").posts.explain()
    assert f"SCAN {INDEX_NAME} VIRTUAL TABLE INDEX" in plan
    assert "SEARCH posts_post USING INTEGER PRIMARY KEY" in plan


@pytest.mark.sqlite
@pytest.mark.parametrize("part", ["posts", "count"])
def test_sqlite_reads_only_the_newest_matches_from_the_fts5_index(make_post, part):
    results = matching_posts("comet")
    query = results.posts if part == "posts" else results.matches
    # FTS5 names its plan: M for the match, > for a lower bound on the id it starts from.
    # SQLite reads the index first and only the newest matches, even without ANALYZE
    # statistics (as here), where it would rather walk every published post.
    assert re.search(rf"SCAN {INDEX_NAME} VIRTUAL TABLE INDEX \d+:M\d*>", query.explain())


@pytest.mark.postgresql
def test_postgresql_has_the_weighted_generated_column_and_its_gin_index():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generation_expression FROM information_schema.columns "
            "WHERE table_name = 'posts_post' AND column_name = %s",
            [DOCUMENT_COLUMN],
        )
        (expression,) = cursor.fetchone()
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'posts_post' AND indexname = %s",
            [INDEX_NAME],
        )
        (index,) = cursor.fetchone()
    weights = re.findall(
        r"to_tsvector\('english'.*?COALESCE\((\w+),.*?'(\w)'::\"char\"", expression
    )
    assert weights == [("title", "A"), ("summary", "B"), ("body", "C")]
    assert index.endswith(f"USING gin ({DOCUMENT_COLUMN})")


@pytest.mark.postgresql
def test_postgresql_searches_through_the_gin_index(make_post):
    post = make_post(title="Comet")
    with connection.cursor() as cursor:
        # Enough rows, and statistics on them, for an index to beat reading the table.
        cursor.execute(
            "INSERT INTO posts_post (uuid, title, slug, author_id, body, body_html, toc, "
            "excerpt, word_count, rendered_digest, summary, review_note, status, published_at, "
            "created_at, updated_at) SELECT gen_random_uuid(), 'Filler ' || n, 'filler-' || n, "
            "author_id, body, body_html, toc, excerpt, word_count, rendered_digest, summary, "
            "review_note, status, published_at, created_at, updated_at "
            "FROM posts_post, generate_series(1, 2000) AS n WHERE id = %s",
            [post.pk],
        )
        cursor.execute("ANALYZE posts_post")
        # Whether the planner walks the GIN index or the listing index in date order
        # depends on statistics that vary between runs: without plain scans to fall
        # back on, only an index that serves the search condition itself is cheap.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    plan = matching_posts("comet").posts.explain()
    assert f"Bitmap Index Scan on {INDEX_NAME}" in plan


# Translating the reader's words into FTS5's syntax.


@pytest.mark.parametrize(
    ("words", "query"),
    [
        ("comet", '("comet")'),
        ("comet ferry", '("comet" AND "ferry")'),
        ('"night owl" ferry', '("night owl" AND "ferry")'),
        ('"unclosed phrase', '("unclosed phrase")'),
        ("cats or dogs fish", '("cats") OR ("dogs" AND "fish")'),
        ("tea -milk -sugar", '(("tea") NOT ("milk" OR "sugar"))'),
        ("tea or coffee -milk", '("tea") OR (("coffee") NOT ("milk"))'),
        ('say"hi"', '("say""hi""")'),
        ("NEAR(a b) title:x", '("NEAR(a" AND "b)" AND "title:x")'),
        ("OR comet or or", '("comet")'),
        ("comet or -milk", '("comet")'),
        ("-milk", ""),
        ("*** ( ) 😀", ""),
    ],
)
def test_words_become_a_quoted_fts5_query(words, query):
    assert fts5_query(words) == query
