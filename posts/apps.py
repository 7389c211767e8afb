from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


class PostsConfig(AppConfig):
    name = "posts"
    verbose_name = "Posts"

    def ready(self):
        from posts import caching

        post_migrate.connect(rerender_stale_posts, sender=self)
        post_migrate.connect(sync_role_groups, sender=self)
        caching.connect_signals()


def rerender_stale_posts(sender, using, verbosity=1, **kwargs):
    """Render posts and pages whose HTML is missing or out of date after migrating.

    A data migration's historical models cannot run ``save()``; a new rendering pipeline
    (a bumped ``posts.rendering.VERSION``) makes every stored page stale. Either way,
    ``migrate`` leaves nothing behind.
    """
    from posts.models import Page, Post, body_digest

    tables = connections[using].introspection.table_names()
    for model in (Post, Page):
        if model._meta.db_table not in tables:
            continue  # migrated backwards, past the table's creation
        rows = model.objects.using(using).only("pk", "body", "rendered_digest")
        stale = [
            row
            for row in rows.iterator(chunk_size=200)
            if row.rendered_digest != body_digest(row.body)
        ]
        if stale:
            model.objects.using(using).bulk_update(stale, ["body"], batch_size=100)
            if verbosity:
                name = model._meta.verbose_name_plural
                print(f"Re-rendered {len(stale)} {name} with stale HTML.")


def sync_role_groups(sender, using, apps=None, **kwargs):
    """Bring the role groups back to their definition in ``posts.roles`` after migrating."""
    from django.apps import apps as global_apps

    from posts.roles import sync_roles

    apps = apps or global_apps
    try:
        post_model = apps.get_model("posts", "Post")
    except LookupError:
        return  # migrated backwards, past the posts
    if "publish_post" in {codename for codename, _ in post_model._meta.permissions}:
        sync_roles(apps, using=using)
