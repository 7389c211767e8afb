from django.utils.functional import SimpleLazyObject, lazy

from posts.models import SiteSettings


def site(request):
    """The site's settings, read only when a template shows one of them (the admin's
    pages do not), and then once for the whole request."""
    current = SimpleLazyObject(lambda: SiteSettings.current(request))
    return {
        "site": current,
        "site_title": lazy(lambda: current.title, str)(),
        "site_description": lazy(lambda: current.description, str)(),
    }
