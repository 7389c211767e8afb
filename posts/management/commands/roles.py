from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from posts.roles import ROLES, sync_roles


class Command(BaseCommand):
    help = (
        "Show the roles (Contributor, Editor, Administrator) and who holds them, put a "
        "user in a role, take a user out of every role, or bring the role groups back to "
        "their definition."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="Each role, what it may do and its members.")
        assign = actions.add_parser(
            "assign", help="Put a user in one role (and out of the others); makes them staff."
        )
        assign.add_argument("username")
        assign.add_argument("role", choices=list(ROLES))
        remove = actions.add_parser(
            "remove",
            help="Take a user out of every role; they leave the admin if nothing "
            "else lets them in.",
        )
        remove.add_argument("username")
        actions.add_parser("sync", help="Give each role group exactly its permissions again.")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _list(self, **options):
        groups = Group.objects.filter(name__in=ROLES).prefetch_related("user_set")
        members = {
            group.name: sorted(u.get_username() for u in group.user_set.all()) for group in groups
        }
        for role, permissions in ROLES.items():
            self.stdout.write(self.style.MIGRATE_HEADING(role))
            self.stdout.write(f"  may: {', '.join(permissions)}")
            self.stdout.write(f"  members: {', '.join(members.get(role, [])) or '(none)'}")

    @transaction.atomic
    def _assign(self, username, role, **options):
        user = self._user(username)
        sync_roles()
        user.groups.remove(*Group.objects.filter(name__in=ROLES).exclude(name=role))
        user.groups.add(Group.objects.get(name=role))
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        note = " (a superuser can do everything whatever their role)" if user.is_superuser else ""
        self.stdout.write(self.style.SUCCESS(f"{username} is now in the role {role}{note}."))

    @transaction.atomic
    def _remove(self, username, **options):
        user = self._user(username)
        user.groups.remove(*Group.objects.filter(name__in=ROLES))
        other_access = user.is_superuser or user.groups.exists() or user.user_permissions.exists()
        if user.is_staff and not other_access:
            user.is_staff = False
            user.save(update_fields=["is_staff"])
        self.stdout.write(self.style.SUCCESS(f"{username} holds no role now."))

    def _sync(self, **options):
        missing = sync_roles()
        if missing:
            self.stdout.write(self.style.WARNING(f"Not in the database yet: {', '.join(missing)}"))
        self.stdout.write(self.style.SUCCESS(f"Synced the roles {', '.join(ROLES)}."))

    def _user(self, username):
        User = get_user_model()
        try:
            return User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
