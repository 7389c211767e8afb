from django.urls import path, register_converter
from django.urls.converters import SlugConverter

from posts import views


class UnicodeSlugConverter(SlugConverter):
    """A slug in any script ("привет-мир"), as SlugField(allow_unicode=True) accepts."""

    regex = r"[-\w]+"


register_converter(UnicodeSlugConverter, "uslug")

app_name = "posts"

urlpatterns = [
    path("", views.post_list, name="list"),
    path("posts/<uslug:slug>/", views.post_detail, name="detail"),
    path("tags/<uslug:slug>/", views.tag_detail, name="tag"),
]
