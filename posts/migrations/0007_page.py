# Pages: standalone pages beside the posts (issue 13).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("posts", "0006_image_redirect")]

    operations = []
