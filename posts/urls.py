from django.urls import path

from posts import views

app_name = "posts"

urlpatterns = [
    path("", views.post_list, name="list"),
    path("posts/<slug:slug>/", views.post_detail, name="detail"),
    path("tags/<slug:slug>/", views.tag_detail, name="tag"),
]
