from django.conf import settings
from django.core.management.base import BaseCommand

from posts.rendering import HIGHLIGHT_STYLES, highlight_stylesheet


class Command(BaseCommand):
    help = "Write the light and dark stylesheets for highlighted code into static/css."

    def handle(self, *args, **options):
        folder = settings.BASE_DIR / "static" / "css"
        for style in HIGHLIGHT_STYLES:
            path = folder / f"pygments-{style}.css"
            path.write_text(highlight_stylesheet(style))
            self.stdout.write(f"Wrote {path.relative_to(settings.BASE_DIR)}")
