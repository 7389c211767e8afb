import os

from django.http import HttpResponse
from django.urls import path

from markup.urls import urlpatterns as markup_urlpatterns

BODY = "x" * int(os.environ.get("BENCH_BODY_BYTES", "10000"))


def minimal(request):
    return HttpResponse(BODY)


urlpatterns = [path("bench/minimal/", minimal), *markup_urlpatterns]
