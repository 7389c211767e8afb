from django.core.management.base import BaseCommand, CommandError

from posts.models import Revision


class Command(BaseCommand):
    help = (
        "Delete old revisions, keeping the newest N of each post (the newest one is the "
        "post's current content). Without this command every revision is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep",
            type=int,
            required=True,
            metavar="N",
            help="How many revisions of each post to keep, newest first (at least 1).",
        )

    def handle(self, *args, keep, **options):
        if keep < 1:
            raise CommandError("--keep must be at least 1: the newest revision is the post.")
        deleted, _ = Revision.objects.beyond_newest(keep).delete()
        self.stdout.write(
            self.style.SUCCESS(f"Deleted {deleted} revision(s); kept {keep} per post.")
        )
