from django.db import migrations, models


class Migration(migrations.Migration):
    """Indexes in the order of every list of posts, so pages walk them without reading rows
    (posts.pagination). Index changes leave posts_post as it is: the search triggers and
    column of 0003 stay."""

    dependencies = [("posts", "0004_revision")]

    operations = [
        migrations.RemoveIndex(model_name="post", name="posts_post_status_b32c6a_idx"),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(
                fields=["status", "-published_at", "-created_at", "-id"], name="post_listing"
            ),
        ),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(
                fields=["author", "status", "-published_at", "-created_at", "-id"],
                name="post_listing_by_author",
            ),
        ),
    ]
