from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from posts.models import Page, Post, Tag

DEMO_FOLDER = Path(__file__).resolve().parents[2] / "demo"
DRAFT, PUBLISHED = Post.Status.DRAFT, Post.Status.PUBLISHED

POSTS = [
    {
        "slug": "welcome-to-markup",
        "title": "Welcome to markup",
        "published_at": datetime(2026, 9, 1, 9, 0, tzinfo=UTC),
        "tags": ["News"],
        "body": "markup turns Markdown written in the Django admin into fast, safe pages.\n\n"
        "Sign in at `/admin/`, write a post, choose **Published** and save: it is on the "
        "home page at once. Pick a time in the future and it appears by itself then.",
    },
    {
        "slug": "a-tour-of-markdown",
        "title": "A tour of Markdown in markup",
        "published_at": datetime(2026, 9, 8, 9, 0, tzinfo=UTC),
        "tags": ["Markdown", "Guides"],
        "body": (DEMO_FOLDER / "markdown-tour.md").read_text(),
    },
    {
        "slug": "writing-good-summaries",
        "title": "Writing good summaries",
        "published_at": datetime(2026, 9, 15, 9, 0, tzinfo=UTC),
        "tags": ["Guides"],
        "summary": "Lists and feeds show a summary. Write one, or let markup use the "
        "start of your first paragraph.",
        "body": "Every post has an optional summary.\n\nWhen it is blank, markup shows "
        "the first paragraph, cut at about three hundred characters on a word boundary.",
    },
    {
        "slug": "scheduling-posts",
        "title": "Scheduling posts",
        "published_at": datetime(2026, 9, 22, 9, 0, tzinfo=UTC),
        "tags": ["Guides"],
        "body": "## Publish later\n\nSet the status to *Published* and the publication "
        "time to a moment in the future. No cron job is needed: the post becomes "
        "visible when that moment comes.\n\n## Drafts\n\nDrafts are visible to staff "
        "only, with a banner saying so.",
    },
    {
        "slug": "an-unfinished-draft",
        "title": "An unfinished draft",
        "status": DRAFT,
        "published_at": None,
        "tags": [],
        "body": "Only staff can read this. Readers get a 404.",
    },
    {
        "slug": "coming-soon",
        "title": "Coming soon",
        "scheduled_in": timedelta(days=30),
        "tags": ["News"],
        "body": "This post is scheduled: it appears by itself thirty days after the demo "
        "was seeded.",
    },
]

PAGES = [
    {
        "slug": "about",
        "title": "About",
        "navigation_position": 1,
        "summary": "What this demo site is, and where its pages come from.",
        "body": "This is a demo of **markup**, a Markdown publishing platform.\n\n"
        "Pages like this one stand beside the posts: they are written in the admin under "
        "*Pages*, have an address of their own (`/about/`) and may take a place in the "
        "navigation. They stay out of lists and feeds, but search finds them.",
    },
]


class Command(BaseCommand):
    help = "Create demo posts (published, draft, scheduled) and pages. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options):
        author, _ = get_user_model().objects.get_or_create(
            username="demo", defaults={"first_name": "Demo", "last_name": "Author"}
        )
        if author.has_usable_password():
            author.set_unusable_password()
            author.save(update_fields=["password"])
        today = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
        for definition in POSTS:
            fields = dict(definition)
            tag_names = fields.pop("tags")
            if scheduled_in := fields.pop("scheduled_in", None):
                fields["published_at"] = today + scheduled_in
            fields.setdefault("status", PUBLISHED)
            fields.setdefault("summary", "")
            post = Post.objects.filter(slug=fields["slug"]).first() or Post()
            for name, value in fields.items():
                setattr(post, name, value)
            post.author = author
            post.save()
            post.tags.set(Tag.objects.get_or_create(name=name)[0] for name in tag_names)
            post.record_revision()
        for fields in PAGES:
            Page.objects.update_or_create(
                slug=fields["slug"], defaults=fields | {"status": Page.Status.PUBLISHED}
            )
        self.stdout.write(
            self.style.SUCCESS(f"Demo content ready: {len(POSTS)} posts, {len(PAGES)} page.")
        )
