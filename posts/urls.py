from django.urls import path

from posts import views

app_name = "posts"

urlpatterns = [
    path("", views.post_list, name="list"),
    # str, not slug: slugs keep the letters of every script ("привет-мир").
    path("posts/<str:slug>/", views.post_detail, name="detail"),
    path("tags/<str:slug>/", views.tag_detail, name="tag"),
]
