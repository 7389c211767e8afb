from django import template

from posts import roles
from posts.models import Post

register = template.Library()


@register.simple_tag(takes_context=True)
def posts_in_review(context) -> int | None:
    """How many posts wait for an editor (one query), or None for those who cannot publish."""
    if not context["request"].user.has_perm(roles.PUBLISH_PERMISSION):
        return None
    return Post.objects.in_review().count()
