"""Probes for load balancers and process managers."""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

READINESS_KEY = "readyz-probe"


@never_cache
@require_safe
def healthz(request):
    """The process answers. Touches nothing else, so a database outage never restarts it."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    """The database and the cache answer: 200, or 503 naming what failed."""
    failures = {
        name: problem
        for name, check in (("database", database_problem), ("cache", cache_problem))
        if (problem := check())
    }
    if failures:
        logger.warning("not ready: %s", failures)
        return JsonResponse({"status": "unavailable", "failed": failures}, status=503)
    return JsonResponse({"status": "ok"})


def database_problem() -> str:
    # A persistent connection that died with the server was already dropped when the
    # request started (CONN_HEALTH_CHECKS); this opens a new one if needed.
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:
        return f"{type(error).__name__}: unreachable"
    return ""


def cache_problem() -> str:
    try:
        cache.set(READINESS_KEY, "ok", timeout=10)
        if cache.get(READINESS_KEY) != "ok":
            return "cache did not keep a value"
    except Exception as error:
        return f"{type(error).__name__}: unreachable"
    return ""


PROBES = {"/healthz": healthz, "/readyz": readyz}


class HealthProbeMiddleware:
    """Answer the probes before anything checks the Host header.

    Load balancers and orchestrators address each app server by its IP, which is rightly
    not in ALLOWED_HOSTS; through Django's URL routing their probes would get 400.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        if probe is None:
            return self.get_response(request)
        return probe(request)
