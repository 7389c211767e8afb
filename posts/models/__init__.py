"""markup's models, one module each; import them from here: ``from posts.models import Post``."""

from posts.models.image import Image
from posts.models.page import Page, PageQuerySet
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
from posts.models.redirect import PageRedirect, Redirect
from posts.models.revision import Revision, RevisionQuerySet
from posts.models.site import NavigationLink, SiteSettings

__all__ = [
    "LIST_KEY",
    "LIST_ORDER",
    "RENDERED_FIELDS",
    "Image",
    "NavigationLink",
    "Page",
    "PageQuerySet",
    "PageRedirect",
    "Post",
    "PostManager",
    "PostQuerySet",
    "Redirect",
    "Revision",
    "RevisionQuerySet",
    "SiteSettings",
    "Tag",
    "body_digest",
    "first_image_source",
    "rendered_fields",
    "unique_slug",
]
