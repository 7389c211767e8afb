# Roles and review: the in-review status, the publish permission and the role groups (issue 13).
from django.db import migrations, models

from posts.roles import sync_roles


def create_role_groups(apps, schema_editor):
    sync_roles(apps, using=schema_editor.connection.alias)


def back_to_draft(apps, schema_editor):
    """Unapplying: before review existed, a post waiting for review was a draft."""
    for model in ("Post", "Revision"):
        apps.get_model("posts", model).objects.filter(status="in_review").update(status="draft")


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0008_site_settings"),
        # The groups get permissions on users and groups, made here by sync_roles().
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='post',
            options={'ordering': ['-published_at', '-created_at'], 'permissions': [('publish_post', 'Can publish, schedule and unpublish posts')], 'verbose_name': 'post', 'verbose_name_plural': 'posts'},
        ),
        migrations.RemoveConstraint(
            model_name='post',
            name='post_status_valid',
        ),
        migrations.RemoveConstraint(
            model_name='post',
            name='published_post_has_time',
        ),
        migrations.AddField(
            model_name='post',
            name='review_note',
            field=models.TextField(blank=True, help_text='Why the post goes back to its author, who sees this note on the post. Kept while it is a draft; cleared when it is submitted again or published.', verbose_name='review note'),
        ),
        migrations.AlterField(
            model_name='post',
            name='status',
            field=models.CharField(choices=[('draft', 'Draft'), ('in_review', 'In review'), ('published', 'Published')], default='draft', max_length=10, verbose_name='status'),
        ),
        migrations.AlterField(
            model_name='revision',
            name='status',
            field=models.CharField(choices=[('draft', 'Draft'), ('in_review', 'In review'), ('published', 'Published')], max_length=10, verbose_name='status'),
        ),
        migrations.AddConstraint(
            model_name='post',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'in_review', 'published'])), name='post_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='post',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'published'), _negated=True), ('published_at__isnull', False), _connector='OR'), name='published_post_has_time'),
        ),
        # Groups only: unapplying leaves them, as it leaves Django's own permissions.
        migrations.RunPython(create_role_groups, migrations.RunPython.noop),
        # Last, so that unapplying runs it first, before the old status constraint returns.
        migrations.RunPython(migrations.RunPython.noop, back_to_draft),
    ]
