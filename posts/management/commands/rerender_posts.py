from django.core.management.base import BaseCommand, CommandError

from posts.models import Post

PROGRESS_EVERY = 50


class Command(BaseCommand):
    help = "Render every post's Markdown again, after the rendering pipeline changed."

    def handle(self, *args, **options):
        posts = Post.objects.order_by("pk")
        total = posts.count()
        failed = []
        for number, post in enumerate(posts.iterator(chunk_size=100), start=1):
            try:
                post.save(update_fields=["body"])
            except ValueError as error:
                failed.append((post, error))
            if number % PROGRESS_EVERY == 0 or number == total:
                self.stdout.write(f"Rendered {number}/{total} posts")
        for post, error in failed:
            self.stderr.write(f"Post {post.pk} ({post.title!r}) kept its old HTML: {error}")
        self.stdout.write(
            self.style.SUCCESS(f"Re-rendered {total - len(failed)} of {total} posts.")
        )
        if failed:
            raise CommandError(f"{len(failed)} post(s) could not be re-rendered: see above.")
