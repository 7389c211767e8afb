from django.conf import settings


def site(request):
    return {
        "site_title": settings.MARKUP_SITE_TITLE,
        "site_description": settings.MARKUP_SITE_DESCRIPTION,
    }
