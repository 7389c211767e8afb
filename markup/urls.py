from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from posts import media

admin.site.site_header = "markup"
admin.site.site_title = "markup admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on every page, the admin's included.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.svg"), permanent=True)),
    # Uploaded images, where nothing in front serves MEDIA_ROOT (nginx does in deploy/).
    path(f"{settings.MEDIA_URL.removeprefix('/')}<path:name>", media.serve, name="media"),
    path("", include("posts.urls")),
]
