from functools import cache

from django.http import HttpResponse
from django.urls import path

from markup.urls import urlpatterns as markup_urlpatterns


@cache
def body(size: int) -> str:
    return "x" * size


def minimal(request):
    """An answer of ?bytes= bytes (10,000 by default), made once per size."""
    return HttpResponse(body(min(int(request.GET.get("bytes", 10_000)), 1_000_000)))


urlpatterns = [path("bench/minimal/", minimal), *markup_urlpatterns]
