"""The three roles of a publication, as Django groups: what each may do, in one place.

The data migration 0009 creates the groups; after every ``migrate`` (and ``flush``) the
post_migrate handler in ``posts.apps`` brings them back to this definition, and
``manage.py roles`` puts people in them. The rules that permissions alone cannot say (a
contributor's own posts, and only while unpublished) live on ``Post`` and ``PostAdmin``.
"""

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q

PUBLISH_PERMISSION = "posts.publish_post"
CONTRIBUTOR, EDITOR, ADMINISTRATOR = "Contributor", "Editor", "Administrator"


def _manage(app_label: str, *model_names: str) -> list[str]:
    """Every default permission on these models: add, change, delete and view."""
    return [
        f"{app_label}.{action}_{model_name}"
        for model_name in model_names
        for action in ("add", "change", "delete", "view")
    ]


# Contributors write their own posts and upload pictures for them; PostAdmin keeps them to
# their own posts, and away from published ones. Without posts.view_post they do not see
# other people's drafts on the site either.
_CONTRIBUTOR = [
    "posts.add_post",
    "posts.change_post",
    "posts.delete_post",
    "posts.view_tag",
    "posts.add_image",
    "posts.view_image",
]
_EDITOR = [
    *_CONTRIBUTOR,
    "posts.view_post",
    PUBLISH_PERMISSION,
    *_manage("posts", "tag", "image", "page"),
]
_ADMINISTRATOR = [
    *_EDITOR,
    *_manage("posts", "sitesettings", "navigationlink"),
    *_manage("auth", "user", "group"),
]

# Role name: the permissions its group holds, exactly ("app_label.codename").
ROLES = {
    CONTRIBUTOR: sorted(set(_CONTRIBUTOR)),
    EDITOR: sorted(set(_EDITOR)),
    ADMINISTRATOR: sorted(set(_ADMINISTRATOR)),
}


def sync_roles(apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Create the role groups and give each exactly the permissions of its definition.

    ``apps`` is a migration's app registry or the project's own. Returns the permissions
    of the definition that do not exist (yet) in the database; the others are granted.
    """
    from django.contrib.auth.management import create_permissions

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for app_label in {name.split(".")[0] for names in ROLES.values() for name in names}:
        # Django creates permissions only after the whole migrate; the groups need them now.
        create_permissions(
            global_apps.get_app_config(app_label), verbosity=0, using=using, apps=apps
        )
    missing = set()
    for role, names in ROLES.items():
        wanted = Q(pk__in=[])
        for name in names:
            app_label, codename = name.split(".")
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        permissions = list(
            Permission.objects.using(using)
            .filter(wanted)
            .values_list("pk", "content_type__app_label", "codename")
        )
        missing |= set(names) - {
            f"{app_label}.{codename}" for _, app_label, codename in permissions
        }
        group, _ = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set([pk for pk, *_ in permissions])
    return sorted(missing)
