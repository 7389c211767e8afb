from django.conf import settings


def site(request):
    return {"site_title": settings.MARKUP_SITE_TITLE}
