# Site settings edited in the admin, and the navigation (issue 13).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("posts", "0007_page")]

    operations = []
