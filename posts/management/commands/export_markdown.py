"""Export every post as a Markdown file with YAML front matter, with its images."""

from datetime import UTC
from pathlib import Path

import yaml
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from posts import images
from posts.models import Image, Post

IMAGE_FOLDER = "images"


class Command(BaseCommand):
    help = (
        "Write every post (drafts and scheduled ones too) to DIR as <slug>.md with YAML "
        "front matter, and the images they show to DIR/images/. `import_markdown DIR` "
        "reads it back."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="An empty or new folder.")

    def handle(self, *args, folder, **options):
        if folder.exists() and any(folder.iterdir()):
            raise CommandError(f"{folder} is not empty: export into a new or empty folder.")
        (folder / IMAGE_FOLDER).mkdir(parents=True, exist_ok=True)
        stored = {image.content_hash: image for image in Image.objects.all()}
        posts = Post.objects.select_related("author").prefetch_related("tags", "old_addresses")
        exported_images = set()
        total = 0
        for post in tqdm(posts.order_by("slug"), desc="Exporting", unit="post", disable=None):
            shown = [
                stored[found["hash"]]
                for found in images.STORED_NAME.finditer(post.body)
                if found["hash"] in stored and not found["width"]
            ]
            body = post.body
            for image in shown:
                body = body.replace(image.url, f"{IMAGE_FOLDER}/{Path(image.file.name).name}")
                exported_images.add(image)
            (folder / f"{post.slug}.md").write_text(markdown_file(post, body), encoding="utf-8")
            total += 1
        for image in exported_images:
            with default_storage.open(image.file.name) as source:
                (folder / IMAGE_FOLDER / Path(image.file.name).name).write_bytes(source.read())
        self.stdout.write(
            self.style.SUCCESS(f"Exported {total} post(s) and {len(exported_images)} image(s).")
        )


def markdown_file(post: Post, body: str) -> str:
    """The post as Hugo reads it: YAML front matter, a blank line, the Markdown."""
    meta = {"title": post.title, "slug": post.slug}
    if post.published_at:
        meta["date"] = post.published_at.astimezone(UTC).isoformat()
    meta["draft"] = post.status != Post.Status.PUBLISHED  # in review is not published
    meta["author"] = post.author.get_username()
    meta["tags"] = sorted(post.tag_names, key=str.lower)
    if post.summary:
        meta["summary"] = post.summary
    old_slugs = sorted(redirect.old_slug for redirect in post.old_addresses.all())
    if old_slugs:
        meta["aliases"] = [f"/posts/{slug}/" for slug in old_slugs]
    front_matter = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{front_matter}---\n\n{body}\n"
