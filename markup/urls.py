from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "markup"
admin.site.site_title = "markup admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("posts.urls")),
]
