import math

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def machine_time(value):
    """A datetime as HTML's ``datetime`` attribute wants it: ISO 8601, whole seconds."""
    return timezone.localtime(value).replace(microsecond=0).isoformat()


@register.filter
def whole_minutes(value):
    """A timedelta in minutes, rounded up: "15" for 15 minutes, "1" for 10 seconds."""
    return max(1, math.ceil(value.total_seconds() / 60))
