import re

from django.urls import path, register_converter
from django.urls.converters import SlugConverter, StringConverter

from posts import feeds, sitemaps, views


class UnicodeSlugConverter(SlugConverter):
    """A slug in any script ("привет-мир"), as SlugField(allow_unicode=True) accepts."""

    regex = r"[-\w]+"


class UsernameConverter(SlugConverter):
    """A username as Django's validator allows it: letters, digits and @.+-_."""

    regex = r"[\w.@+-]+"


class YearConverter:
    regex = r"[0-9]{4}"
    to_python = int

    def to_url(self, year):
        return f"{year:04d}"


class MonthConverter(YearConverter):
    regex = r"[0-9]{2}"

    def to_url(self, month):
        return f"{month:02d}"


class FeedFileConverter(StringConverter):
    """The file name of a feed, which names its format."""

    regex = "|".join(re.escape(filename) for filename in feeds.FORMATS)


register_converter(UnicodeSlugConverter, "uslug")
register_converter(FeedFileConverter, "feedfile")
register_converter(YearConverter, "year")
register_converter(MonthConverter, "month")
register_converter(UsernameConverter, "username")

app_name = "posts"

urlpatterns = [
    path("", views.post_list, name="list"),
    path("posts/<uslug:slug>/", views.post_detail, name="detail"),
    path("posts/<uslug:slug>.md", views.post_markdown, name="markdown"),
    path("tags/<uslug:slug>/", views.tag_detail, name="tag"),
    path("authors/<username:username>/", views.author_detail, name="author"),
    path("archive/", views.archive_index, name="archive"),
    path("archive/<year:year>/", views.year_archive, name="archive-year"),
    path("archive/<year:year>/<month:month>/", views.month_archive, name="archive-month"),
    path("search/", views.search, name="search"),
    path("feeds/<feedfile:filename>", feeds.site_feed, name="site-feed"),
    path("tags/<uslug:slug>/<feedfile:filename>", feeds.tag_feed, name="tag-feed"),
    path("authors/<username:username>/<feedfile:filename>", feeds.author_feed, name="author-feed"),
    path("sitemap.xml", sitemaps.sitemap, name="sitemap"),
    path("sitemap-<slug:section>.xml", sitemaps.sitemap_section, name="sitemap-section"),
    path("robots.txt", views.robots_txt, name="robots"),
    path("llms.txt", views.llms_txt, name="llms"),
    # Last: a page's address is any slug no route above claims (Page.clean refuses theirs).
    path("<uslug:slug>/", views.page_detail, name="page"),
]
