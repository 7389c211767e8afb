"""Import Markdown files with front matter, as Hugo and Jekyll write them."""

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import yaml
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import slugify
from tqdm import tqdm

from posts import images
from posts.models import Image, Post, Redirect, Tag

MARKDOWN_SUFFIXES = {".md", ".markdown"}
# Jekyll's _posts/2024-01-31-my-post.md: the name gives the date and the slug.
JEKYLL_NAME = re.compile(r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})-(?P<slug>.+)")
FRONT_MATTER = {"---": "yaml", "+++": "toml"}
# An inline image: ![alt](source...
IMAGE_REFERENCE = re.compile(r"!\[(?P<alt>[^\]\n]*)\]\((?P<source>[^)\s]+)")
TOML_LINE = re.compile(r"at line (\d+)")
UNSAFE_TEXT = re.compile(r"[\x00]")


class Problem(Exception):
    """A file that cannot be imported, with the line at fault."""

    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.line = line


@dataclass
class PlannedPost:
    """What one file would become."""

    source: Path
    fields: dict
    tags: list[str]
    aliases: list[str]
    author_name: str
    pictures: dict[str, images.ProcessedImage] = field(default_factory=dict)
    alt_texts: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Command(BaseCommand):
    help = (
        "Import Markdown files with YAML (---) or TOML (+++) front matter, as Hugo and "
        "Jekyll write them. A dry run unless --apply is given. A file with a problem is "
        "reported (with its line) and skipped; the others are imported, each whole or not "
        "at all, and the command then exits with status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, help="Files or folders to import.")
        parser.add_argument("--apply", action="store_true", help="Write; without it, only report.")
        parser.add_argument(
            "--author",
            help="Username for posts whose front matter names no existing author.",
        )

    def handle(self, *args, paths, apply, author, **options):
        files = self._markdown_files(paths)
        counts = {"create": 0, "update": 0, "unchanged": 0, "skipped": 0}
        for path in tqdm(files, desc="Importing", unit="file", disable=None):
            try:
                planned = read_post(path, default_author=author)
                action = self._import(planned, apply)
            except Problem as problem:
                counts["skipped"] += 1
                self.stderr.write(f"problem  {path}:{problem.line}: {problem}")
                continue
            counts[action] += 1
            self.stdout.write(f"{action:<9}{path} -> /posts/{planned.fields['slug']}/")
            for note in planned.notes:
                self.stderr.write(f"note     {path}: {note}")
        summary = ", ".join(f"{number} {name}" for name, number in counts.items())
        if apply:
            self.stdout.write(self.style.SUCCESS(f"Imported: {summary}."))
        else:
            self.stdout.write(f"Dry run, nothing written: {summary}. Add --apply to write.")
        if counts["skipped"]:
            raise CommandError(f"{counts['skipped']} file(s) skipped: see the problems above.")

    def _markdown_files(self, paths: list[Path]) -> list[Path]:
        files = []
        for path in paths:
            if path.is_dir():
                files += sorted(p for p in path.rglob("*") if p.suffix in MARKDOWN_SUFFIXES)
            elif path.is_file():
                files.append(path)
            else:
                raise CommandError(f"{path} does not exist.")
        return files

    def _import(self, planned: PlannedPost, apply: bool) -> str:
        """Create or update the post (if ``apply``); which of the two, or unchanged."""
        with transaction.atomic():
            for reference, image in planned.pictures.items():
                stored = Image.objects.filter(content_hash=image.content_hash).first()
                if stored is None:
                    if apply:
                        image.save()
                    stored = Image.objects.create(
                        file=image.name,
                        alt_text=planned.alt_texts[reference] or PurePosixPath(reference).stem,
                        width=image.width,
                        height=image.height,
                        widths=sorted(image.variants),
                        content_hash=image.content_hash,
                    )
                planned.fields["body"] = planned.fields["body"].replace(
                    f"]({reference}", f"]({stored.url}"
                )
            author = _author(planned.author_name)
            post = Post.objects.filter(slug=planned.fields["slug"]).first()
            action = "create" if post is None else "update"
            if post is not None and _unchanged(post, planned, author):
                action = "unchanged"
            post = post or Post()
            for name, value in planned.fields.items():
                setattr(post, name, value)
            post.author = author
            try:
                post.full_clean(exclude=[f.name for f in Post._meta.fields if not f.editable])
            except ValidationError as error:
                transaction.set_rollback(True)
                raise Problem("; ".join(_messages(error))) from error
            if action != "unchanged":
                post.save()
                post.tags.set(
                    Tag.objects.get_or_create(name__iexact=name, defaults={"name": name})[0]
                    for name in planned.tags
                )
                post.record_revision()
            for old_slug in planned.aliases:
                if Post.objects.filter(slug=old_slug).exclude(pk=post.pk).exists():
                    planned.notes.append(
                        f"the alias /posts/{old_slug}/ is another post's address: it stays that"
                    )
                elif old_slug != post.slug:
                    Redirect.objects.update_or_create(old_slug=old_slug, defaults={"post": post})
            if not apply:
                transaction.set_rollback(True)
        return action


def read_post(path: Path, default_author: str | None = None) -> PlannedPost:
    """Read one Markdown file into what it would become; a ``Problem`` if it cannot be."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise Problem("not UTF-8 text") from error
    if UNSAFE_TEXT.search(text):
        raise Problem("contains a NUL character", text[: text.index("\x00")].count("\n") + 1)
    meta, body, body_line = _split_front_matter(text)
    jekyll = JEKYLL_NAME.fullmatch(path.stem)
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise Problem("the front matter has no title", _key_line(text, "title"))
    slug_source = meta.get("slug") or (jekyll and jekyll["slug"]) or _name_slug(path)
    slug = slugify(str(slug_source), allow_unicode=True)
    if not slug:
        raise Problem(f"cannot make an address from {slug_source!r}", _key_line(text, "slug"))
    published_at = _moment(meta.get("date") or (jekyll and jekyll["date"]), _key_line(text, "date"))
    draft = meta.get("draft") is True or meta.get("published") is False
    if not draft and published_at is None:
        raise Problem("a published post needs a date", _key_line(text, "date"))
    summary = next(
        (meta[key] for key in ("summary", "description", "excerpt") if meta.get(key)), ""
    )
    planned = PlannedPost(
        source=path,
        fields={
            "title": title.strip(),
            "slug": slug,
            "body": body,
            "summary": str(summary).strip(),
            "status": Post.Status.DRAFT if draft else Post.Status.PUBLISHED,
            "published_at": published_at,
        },
        tags=_tags(meta, text),
        aliases=_aliases(meta.get("aliases") or [], text),
        author_name=_author_name(meta, default_author, text),
    )
    _read_images(planned, text, body_line)
    return planned


def _split_front_matter(text: str) -> tuple[dict, str, int]:
    """The front matter, the body, and the line the body starts on."""
    lines = text.splitlines(keepends=True)
    delimiter = lines[0].strip() if lines else ""
    if delimiter not in FRONT_MATTER:
        raise Problem("no front matter: the file must start with --- (YAML) or +++ (TOML)")
    end = next((n for n in range(1, len(lines)) if lines[n].strip() == delimiter), None)
    if end is None:
        raise Problem(f"the front matter is never closed with {delimiter}")
    source = "".join(lines[1:end])
    try:
        if FRONT_MATTER[delimiter] == "yaml":
            meta = yaml.safe_load(source) or {}
        else:
            meta = tomllib.loads(source)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise Problem(f"YAML front matter: {error.problem}", mark.line + 2) from error
    except yaml.YAMLError as error:
        raise Problem(f"YAML front matter: {error}") from error
    except tomllib.TOMLDecodeError as error:
        line = TOML_LINE.search(str(error))
        raise Problem(f"TOML front matter: {error}", int(line[1]) + 1 if line else 1) from error
    if not isinstance(meta, dict):
        raise Problem("the front matter is not a set of key: value pairs", 2)
    body = "".join(lines[end + 1 :])
    body_line = end + 2
    if body.startswith("\n"):
        body, body_line = body[1:], body_line + 1
    return meta, body.removesuffix("\n"), body_line


def _key_line(text: str, key: str) -> int:
    found = re.search(rf"^\s*{re.escape(key)}\s*[:=]", text, re.MULTILINE)
    return text[: found.start()].count("\n") + 1 if found else 1


def _name_slug(path: Path) -> str:
    """Hugo's default address: the file's name, or its folder's for a page bundle."""
    return path.parent.name if path.stem in ("index", "_index") else path.stem


def _moment(value, line: int) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = parse_datetime(value) or parse_date(value) or value
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if not isinstance(value, datetime):
        raise Problem(f"the date {value!r} is not a date (use 2024-01-31T09:00:00Z)", line)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _tags(meta: dict, text: str) -> list[str]:
    names = []
    for key in ("tags", "categories"):
        value = meta.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            raise Problem(f"{key} must be a list of names", _key_line(text, key))
        names += [str(name).strip() for name in value if str(name).strip()]
    unique = {name.lower(): name for name in reversed(names)}
    return sorted(unique.values(), key=str.lower)


def _aliases(aliases, text: str) -> list[str]:
    """The slugs of the old addresses a post answers to (Hugo's aliases: paths or URLs)."""
    if isinstance(aliases, str):
        aliases = [aliases]
    if not isinstance(aliases, list):
        raise Problem("aliases must be a list of paths", _key_line(text, "aliases"))
    slugs = []
    for alias in aliases:
        last = PurePosixPath(unquote(urlsplit(str(alias)).path)).name
        slug = slugify(last.removesuffix(".html"), allow_unicode=True)
        if not slug:
            raise Problem(f"alias {alias!r} names no address", _key_line(text, "aliases"))
        slugs.append(slug)
    return sorted(set(slugs))


def _author_name(meta: dict, default_author: str | None, text: str) -> str:
    name = meta.get("author")
    if isinstance(name, list):
        name = name[0] if name else None
    model = get_user_model()
    if isinstance(name, str) and name:
        try:
            model.username_validator(name)
            return name
        except ValidationError:
            pass
    if default_author:
        return default_author
    raise Problem(
        f"the author {name!r} is not a username: give one with --author", _key_line(text, "author")
    )


def _author(username: str):
    """The author's account; created, without a password, if it does not exist yet."""
    model = get_user_model()
    user, created = model.objects.get_or_create(**{model.USERNAME_FIELD: username})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _read_images(planned: PlannedPost, text: str, body_line: int) -> None:
    """Check and read the images the body shows from files beside it."""
    body = planned.fields["body"]
    for found in IMAGE_REFERENCE.finditer(body):
        reference = found["source"]
        if urlsplit(reference).scheme or reference.startswith(("/", "#")):
            continue
        line = body_line + body[: found.start()].count("\n")
        file = (planned.source.parent / unquote(reference)).resolve()
        if not file.is_file():
            raise Problem(f"the image {reference} is not there ({file})", line)
        data = file.read_bytes()
        # Files markup exported are named by their content hash: they are kept as they are.
        is_export = file.stem == hashlib.sha256(data).hexdigest()
        try:
            planned.pictures[reference] = images.process(ContentFile(data), keep_bytes=is_export)
        except ValidationError as error:
            raise Problem(f"the image {reference}: {' '.join(error.messages)}", line) from error
        planned.alt_texts[reference] = found["alt"]


def _unchanged(post: Post, planned: PlannedPost, author) -> bool:
    fields = planned.fields
    return (
        all(getattr(post, name) == value for name, value in fields.items())
        and post.author_id == author.pk
        and sorted(post.tag_names, key=str.lower) == planned.tags
        and set(planned.aliases) <= set(post.old_addresses.values_list("old_slug", flat=True))
    )


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()]
    return error.messages
