import uuid

from django.db import migrations, models


def give_each_post_a_uuid(apps, schema_editor):
    Post = apps.get_model("posts", "Post")
    for post in Post.objects.only("pk").iterator(chunk_size=500):
        Post.objects.filter(pk=post.pk).update(uuid=uuid.uuid4())


class Migration(migrations.Migration):
    """A permanent identifier per post, added in three steps so existing posts each get
    their own value (a callable default is evaluated once for all existing rows)."""

    dependencies = [("posts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="post",
            name="uuid",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(give_each_post_a_uuid, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="post",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False),
        ),
    ]
