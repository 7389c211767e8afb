"""markup's models, one module each; import them from here: ``from posts.models import Post``."""

from posts.models.image import Image
from posts.models.post import (
    LIST_KEY,
    LIST_ORDER,
    RENDERED_FIELDS,
    Post,
    PostManager,
    PostQuerySet,
    Tag,
    body_digest,
    first_image_source,
    rendered_fields,
    unique_slug,
)
from posts.models.redirect import Redirect
from posts.models.revision import Revision, RevisionQuerySet

__all__ = [
    "LIST_KEY",
    "LIST_ORDER",
    "RENDERED_FIELDS",
    "Image",
    "Post",
    "PostManager",
    "PostQuerySet",
    "Redirect",
    "Revision",
    "RevisionQuerySet",
    "Tag",
    "body_digest",
    "first_image_source",
    "rendered_fields",
    "unique_slug",
]
