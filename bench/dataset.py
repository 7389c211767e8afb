"""Fill the database the settings name with N published posts, for the scale benchmarks.

Run: .venv/bin/python bench/dataset.py N    (DATABASE_URL chooses the database)
     .venv/bin/python bench/dataset.py --refresh    (after posts.rendering changed)

It replaces every post, tag and bench author there, so give it a database of its own.
The posts are what a real publication has: 5 authors, 20 tags (one of them, "notes", on
every post, each post with one or two more), bodies with headings, lists, code and
tables, one post an hour or so over the years before now, some sharing their
publication time to the second. Every post says "markup"; five posts, spread over the
years, have the rare word "quokka" in their title, at any size (one in 5,000 gave 0 at 1k
and 20 at 100k, and a search's cost then measured its number of results, not the site's
size). ~40 distinct bodies are rendered once and shared, so 100k posts
take minutes, not the hour rendering each would.
"""

import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "markup.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from posts.caching import content_changed  # noqa: E402
from posts.models import Post, Tag, body_digest, rendered_fields  # noqa: E402

AUTHORS = ["ada", "grace", "edsger", "barbara", "donald"]
EVERY_POST_TAG = "notes"
TAGS = [EVERY_POST_TAG, *(f"topic-{number:02d}" for number in range(1, 20))]
DISTINCT_BODIES = 40
RARE_WORD, RARE_POSTS = "quokka", 5
BATCH = 2_000
WORDS = [
    *[
        "markup",
        "renders",
        "every",
        "post",
        "once",
        "when",
        "it",
        "is",
        "saved",
        "so",
        "readers",
        "get",
        "plain",
        "pages",
        "quickly",
    ],
    *[
        "the",
        "archive",
        "keeps",
        "years",
        "of",
        "writing",
        "about",
        "software",
        "databases",
        "caching",
        "networks",
    ],
    *[
        "and",
        "the",
        "craft",
        "of",
        "publishing",
        "on",
        "the",
        "web",
        "with",
        "care",
        "for",
        "readers",
        "and",
        "their",
        "time",
    ],
]


def body(number: int, rng: random.Random) -> str:
    """A few KB of ordinary Markdown: prose, headings, a list, code, sometimes a table."""

    def paragraph():
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 90))).capitalize() + "."

    parts = [paragraph(), f"## Part one of body {number}", paragraph(), paragraph()]
    parts.append("\n".join(f"- {rng.choice(WORDS)} and {rng.choice(WORDS)}" for _ in range(5)))
    parts.append(f"```python\ndef answer_{number}():\n    return {number} * 2\n```")
    if number % 3 == 0:
        parts.append("| page | posts |\n|---|---:|\n| home | 10 |\n| tag | 10 |")
    parts += ["## Part two", paragraph(), f"Written with **markup**, [home](/), `code {number}`."]
    return "\n\n".join(parts)


def fill(count: int) -> None:
    rng = random.Random(11)
    with transaction.atomic():
        Post.tags.through.objects.all().delete()
        Post.objects.all().delete()
        Tag.objects.all().delete()
        get_user_model().objects.filter(username__in=AUTHORS).delete()
        authors = [
            get_user_model().objects.create_user(name, first_name=name.capitalize())
            for name in AUTHORS
        ]
        tags = [Tag.objects.create(name=name) for name in TAGS]
    bodies = [body(number, rng) for number in range(DISTINCT_BODIES)]
    rendered = [rendered_fields(text) for text in bodies]
    now = timezone.now().replace(microsecond=0)
    published_at = now - timedelta(hours=count)
    started = time.monotonic()
    rare_every = max(1, count // RARE_POSTS)
    for start in range(0, count, BATCH):
        posts, numbers = [], range(start, min(start + BATCH, count))
        for number in numbers:
            # Every seventh post shares its predecessor's time: ties that pages must order.
            if number % 7:
                published_at += timedelta(minutes=rng.randint(1, 100))
            published_at = min(published_at, now)
            rare = f" about the {RARE_WORD}" if number % rare_every == 0 else ""
            title = f"Post {number}: {rng.choice(WORDS)} {rng.choice(WORDS)}{rare}"
            choice = number % DISTINCT_BODIES
            posts.append(
                Post(
                    title=title,
                    slug=f"post-{number}",
                    author=authors[number % len(authors)],
                    body=bodies[choice],
                    **rendered[choice],
                    status=Post.Status.PUBLISHED,
                    published_at=published_at,
                )
            )
        with transaction.atomic():
            # The model's bulk_create renders every body again; these are rendered already.
            created = models.QuerySet.bulk_create(Post.objects.all(), posts)
            Post.tags.through.objects.bulk_create(
                Post.tags.through(post_id=post.pk, tag_id=tag.pk)
                for post in created
                for tag in {tags[0], *rng.sample(tags[1:], rng.randint(1, 2))}
            )
        done = start + len(numbers)
        print(f"\r{done:,} of {count:,} posts, {time.monotonic() - started:.0f} s", end="")
    print()
    content_changed()
    # What autovacuum and a site's own use would have done by now: statistics for the
    # planner, and (PostgreSQL) a visibility map that lets index-only scans skip the rows.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def refresh() -> None:
    """Render the distinct bodies again after the pipeline changed, a few UPDATEs in all,
    rather than letting ``migrate`` render every post one by one.

    Only posts rendered by another version of the pipeline are written: rewriting every
    post at each run of bench/scale.py also rewrote the search index (its triggers), which
    grew fragmented and made the next run's searches slower at 100k posts."""
    bodies = Post.objects.order_by().values_list("body", flat=True).distinct()
    stale = 0
    for text in list(bodies):
        posts = Post.objects.filter(body=text).exclude(rendered_digest=body_digest(text))
        # The plain QuerySet.update: these fields are rendered already.
        stale += models.QuerySet.update(posts, **rendered_fields(text))
    if stale:
        content_changed()


def main():
    if sys.argv[1:] == ["--refresh"]:
        refresh()
    elif len(sys.argv) == 2 and sys.argv[1].isdigit():
        fill(int(sys.argv[1]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
