"""The admin, one module per model family; importing them registers their ModelAdmins."""

from posts.admin import image, page, post, site, user

__all__ = ["image", "page", "post", "site", "user"]
