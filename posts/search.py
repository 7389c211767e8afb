"""Full-text search over published posts and pages, on PostgreSQL and on SQLite.

PostgreSQL: a weighted search vector (title A, summary B, body C) in a generated column
with a GIN index (migration 0003), queried in ``websearch`` syntax with English stemming,
ranked by ``ts_rank`` and excerpted by ``ts_headline``. SQLite: an FTS5 table over
posts_post with the porter stemmer, kept in step by triggers; the reader's words become a
quoted FTS5 query of the same meaning, ranked by ``bm25()`` with the same order of
weights and excerpted by ``snippet()``. Either way the database marks matches with
private-use characters, and ``marked_html`` escapes the text before turning those into
``<mark>``. Pages have the same kind of index (migration 0007) and are searched alike;
they are few, so the best of them come in one query, shown above the posts.
"""

import re

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorField,
)
from django.db import connection
from django.db.models import F
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from posts import rendering
from posts.models import Page, Post

INDEX_NAME = "posts_post_search"
PAGE_INDEX_NAME = "posts_page_search"
# PostgreSQL's generated tsvector column (the Post model does not know it).
DOCUMENT_COLUMN = "search_document"
LANGUAGE = "english"
# Longer queries are cut: a search box needs no more, and it bounds the work per query.
MAX_QUERY_LENGTH = 200
# Private-use characters: they mean nothing in text, and escape() leaves them alone.
START, STOP = "\ue000", "\ue001"
MARKED = re.compile(f"{START}([^{START}{STOP}]*){STOP}")
EXCERPT_WORDS = 30
ELLIPSIS = "…"
MARKERS = {"config": LANGUAGE, "start_sel": START, "stop_sel": STOP}
EXCERPT = MARKERS | {"max_words": EXCERPT_WORDS, "min_words": EXCERPT_WORDS // 2}
# Results show no body: sorting every match with it would carry it along.
UNSHOWN_FIELDS = ("body", "body_html", "toc")
# bm25() weights of title, summary and body, as PostgreSQL's default A, B and C weigh.
SQLITE_WEIGHTS = (10.0, 4.0, 1.0)
# Only the newest this many matches are ranked and shown: a word in every post would
# otherwise have every post ranked for each search (docs/performance.md).
RANKED_MATCHES = 1_000
# Pages found for a search, at most: the site's few standalone pages, best first.
PAGE_MATCHES = 5


def clean_query(text: str) -> str:
    """The reader's words with runs of spaces made one, cut to MAX_QUERY_LENGTH."""
    return " ".join(text.split())[:MAX_QUERY_LENGTH].strip()


def matching_posts(words: str):
    """Published posts matching ``words``, best first, for a Paginator.

    Each post of a page gets ``marked_title`` and ``marked_excerpt``: safe HTML with the
    matched words in ``<mark>``.
    """
    if connection.vendor == "postgresql":
        return PostgresResults(words)
    return SqliteResults(words)


def matching_pages(words: str) -> list[Page]:
    """The best PAGE_MATCHES published pages matching ``words``, each with
    ``marked_title`` and ``marked_excerpt`` as ``matching_posts`` gives them."""
    search = _postgres_pages if connection.vendor == "postgresql" else _sqlite_pages
    pages = search(words)
    for page in pages:
        page.marked_title = marked_html(page.title_headline)
        page.marked_excerpt = _excerpt(page, page.summary_headline, page.body_headline)
    return pages


def _postgres_pages(words: str) -> list[Page]:
    query = SearchQuery(words, search_type="websearch", config=LANGUAGE)
    document = RawSQL(f'"{DOCUMENT_COLUMN}"', [], SearchVectorField())
    pages = (
        Page.objects.published()
        .defer(*UNSHOWN_FIELDS)
        .alias(document=document)
        .filter(document=query)
        .annotate(**_ranked_and_marked(query))
        .order_by("-rank", "title", "pk")
    )
    return list(pages[:PAGE_MATCHES])


def _ranked_and_marked(query: SearchQuery) -> dict:
    """PostgreSQL's rank of a match, and its title, summary and body with the matches
    marked, as annotations of a query over the search document."""
    return {
        "rank": SearchRank(F("document"), query),
        "title_headline": SearchHeadline("title", query, highlight_all=True, **MARKERS),
        "summary_headline": SearchHeadline("summary", query, **EXCERPT),
        "body_headline": SearchHeadline("body", query, **EXCERPT),
    }


def _sqlite_pages(words: str) -> list[Page]:
    query = fts5_query(words)
    if not query:
        return []
    weights = ", ".join(map(str, SQLITE_WEIGHTS))
    snippet = f"snippet({PAGE_INDEX_NAME}, %s, %s, %s, '{ELLIPSIS}', {EXCERPT_WORDS})"
    pages = (
        Page.objects.published()
        .defer(*UNSHOWN_FIELDS)
        .extra(
            tables=[PAGE_INDEX_NAME],
            where=[f"{PAGE_INDEX_NAME}.rowid = posts_page.id", f"{PAGE_INDEX_NAME} MATCH %s"],
            params=[query],
            select={
                "rank": f"bm25({PAGE_INDEX_NAME}, {weights})",
                "title_headline": f"highlight({PAGE_INDEX_NAME}, 0, %s, %s)",
                "summary_headline": snippet,
                "body_headline": snippet,
            },
            select_params=[START, STOP, 1, START, STOP, 2, START, STOP],
            order_by=["rank", "title", "id"],
        )
    )
    return list(pages[:PAGE_MATCHES])


def marked_html(text: str) -> SafeString:
    """Text with its match markers as ``<mark>``; everything else escaped."""
    html = MARKED.sub(r"<mark>\1</mark>", escape(text))
    return mark_safe(html.replace(START, "").replace(STOP, ""))


def _excerpt(found, summary: str | None, body: str | None) -> SafeString:
    """The summary's or else the body's words around a match, marked; else the post's or
    page's teaser. The body's are Markdown: shown as the words the reader sees, without
    its syntax (an excerpt starts and ends anywhere, so the database's ellipses are
    set apart while it is read)."""
    if summary and START in summary:
        return marked_html(summary)
    if body and START in body:
        words = rendering.plain_text(body.strip(ELLIPSIS))
        if START in words:
            before = ELLIPSIS if body.startswith(ELLIPSIS) else ""
            after = ELLIPSIS if body.endswith(ELLIPSIS) else ""
            return marked_html(f"{before}{words}{after}")
    return escape(found.teaser)


class PostgresResults:
    def __init__(self, words: str):
        query = SearchQuery(words, search_type="websearch", config=LANGUAGE)
        # Unqualified, so that it names the column of whichever query it is in.
        document = RawSQL(f'"{DOCUMENT_COLUMN}"', [], SearchVectorField())
        matches = Post.objects.published().alias(document=document).filter(document=query)
        newest = matches.in_list_order().values("pk")[:RANKED_MATCHES]
        self.posts = (
            Post.objects.filter(pk__in=newest)
            .select_related("author")
            .defer(*UNSHOWN_FIELDS)
            .alias(document=document)
            .annotate(**_ranked_and_marked(query))
            .order_by("-rank", "-published_at", "-pk")
        )

    def count(self) -> int:
        return self.posts.count()

    def __getitem__(self, window):
        posts = list(self.posts[window])
        for post in posts:
            post.marked_title = marked_html(post.title_headline)
            post.marked_excerpt = _excerpt(post, post.summary_headline, post.body_headline)
        return posts


class SqliteResults:
    def __init__(self, words: str):
        self.query = fts5_query(words)
        weights = ", ".join(map(str, SQLITE_WEIGHTS))
        # The newest matches are the ids from the RANKED_MATCHES-th newest on. FTS5 finds
        # that id reading ids in order without ranking, then reads and ranks only the ids
        # from it on: 1,000 for a word in every post, not every match.
        oldest_ranked = (
            f"COALESCE((SELECT rowid FROM {INDEX_NAME} WHERE {INDEX_NAME} MATCH %s "
            f"ORDER BY rowid DESC LIMIT 1 OFFSET {RANKED_MATCHES - 1}), 0)"
        )
        # The FTS5 table has no model: extra() joins it (rowid is the post's id). The
        # unary plus keeps SQLite from starting at the published posts and asking FTS5
        # about each by id, its choice without ANALYZE statistics (2.8 s for a word in
        # every post at 100k posts): it starts from the index, with statistics or without.
        self.matches = Post.objects.published().extra(
            tables=[INDEX_NAME],
            where=[
                f"+{INDEX_NAME}.rowid = posts_post.id",
                f"{INDEX_NAME} MATCH %s",
                f"{INDEX_NAME}.rowid >= {oldest_ranked}",
            ],
            params=[self.query, self.query],
        )
        self.posts = (
            self.matches.select_related("author")
            .defer(*UNSHOWN_FIELDS)
            .extra(
                select={"rank": f"bm25({INDEX_NAME}, {weights})"},
                order_by=["rank", "-published_at", "-id"],
            )
        )

    def count(self) -> int:
        # The matches without their rank: bm25() would be worked out for each.
        return self.matches.count() if self.query else 0

    def __getitem__(self, window):
        posts = list(self.posts[window]) if self.query else []
        # Marked only for the page: snippet() in the ranking query would run for every match.
        marked = self._marked([post.pk for post in posts])
        for post in posts:
            title, summary, body = marked[post.pk]
            post.marked_title = marked_html(title)
            post.marked_excerpt = _excerpt(post, summary, body)
        return posts

    def _marked(self, ids) -> dict:
        if not ids:
            return {}
        snippet = f"snippet({INDEX_NAME}, %s, %s, %s, '{ELLIPSIS}', {EXCERPT_WORDS})"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, highlight({INDEX_NAME}, 0, %s, %s), {snippet}, {snippet} "
                f"FROM {INDEX_NAME} WHERE {INDEX_NAME} MATCH %s "
                f"AND rowid IN ({', '.join(['%s'] * len(ids))})",
                [START, STOP, 1, START, STOP, 2, START, STOP, self.query, *ids],
            )
            return {row[0]: row[1:] for row in cursor.fetchall()}


# A term: optionally negated, then a "quoted phrase" (closing quote optional) or a word.
TERM = re.compile(r'(-?)(?:"([^"]*)"?|(\S+))')
# FTS5's tokenizer keeps letters and digits only; a term without any matches nothing.
WORD_CHARACTER = re.compile(r"[^\W_]")


def fts5_query(words: str) -> str:
    """The reader's words as an FTS5 query that means what PostgreSQL's websearch does.

    Every word must match; "quoted words" match as a phrase; ``-word`` excludes; ``or``
    separates alternatives, binding loosest: ``a or b c`` is ``a`` or (``b`` and ``c``).
    Each term is quoted, so no FTS5 syntax in the words is ever interpreted. FTS5 has no
    "everything but": an alternative with no required term is left out.
    """
    alternatives = [([], [])]
    for match in TERM.finditer(words):
        negated, phrase, word = match.groups()
        if not negated and phrase is None and word.lower() == "or":
            alternatives.append(([], []))
            continue
        text = word if phrase is None else phrase
        if WORD_CHARACTER.search(text):
            required, excluded = alternatives[-1]
            (excluded if negated else required).append('"{}"'.format(text.replace('"', '""')))
    return " OR ".join(_fts5_alternative(*terms) for terms in alternatives if terms[0])


def _fts5_alternative(required: list[str], excluded: list[str]) -> str:
    query = f"({' AND '.join(required)})"
    return f"({query} NOT ({' OR '.join(excluded)}))" if excluded else query
