# Site settings edited in the admin, and the navigation (issue 13).
import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def settings_from_environment(apps, schema_editor):
    """The row starts with the values the environment gave until now, so a site keeps its
    title; from here on the admin changes them."""
    SiteSettings = apps.get_model("posts", "SiteSettings")
    SiteSettings.objects.using(schema_editor.connection.alias).get_or_create(
        pk=1,
        defaults={
            "title": settings.MARKUP_SITE_TITLE[:100],
            "description": settings.MARKUP_SITE_DESCRIPTION[:300],
            "posts_per_page": min(max(settings.MARKUP_POSTS_PER_PAGE, 1), 100),
        },
    )


class Migration(migrations.Migration):
    dependencies = [("posts", "0007_page")]

    operations = [
        migrations.CreateModel(
            name='SiteSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=100, verbose_name='site title')),
                ('description', models.CharField(blank=True, help_text='A sentence about the site: for pages without their own, feeds, llms.txt.', max_length=300, verbose_name='description')),
                ('publisher_name', models.CharField(blank=True, help_text='Who publishes the site, for search engines; the title when left blank.', max_length=100, verbose_name='publisher name')),
                ('footer_text', models.CharField(blank=True, help_text='Plain text at the foot of every page.', max_length=300, verbose_name='footer text')),
                ('posts_per_page', models.PositiveSmallIntegerField(default=10, help_text='On the home page, tag, author, archive and search pages: 1 to 100.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(100)], verbose_name='posts per page')),
                ('default_social_image', models.ForeignKey(blank=True, help_text='Shown in link previews of pages that have no picture of their own.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='posts.image', verbose_name='default social image')),
            ],
            options={
                'verbose_name': 'site settings',
                'verbose_name_plural': 'site settings',
            },
        ),
        migrations.CreateModel(
            name='NavigationLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField(default=0, verbose_name='position')),
                ('label', models.CharField(blank=True, help_text="The link's text; a page's or tag's own name when left blank.", max_length=60, verbose_name='label')),
                ('url', models.URLField(blank=True, help_text='An address elsewhere, starting with https:// or http://.', validators=[django.core.validators.URLValidator(code='scheme', message='Enter an address that starts with https:// or http://.', schemes=['http', 'https'])], verbose_name='address')),
                ('tag', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, to='posts.tag', verbose_name='tag')),
                ('page', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, to='posts.page', verbose_name='page')),
                ('site', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='navigation', to='posts.sitesettings')),
            ],
            options={
                'verbose_name': 'navigation link',
                'verbose_name_plural': 'navigation links',
                'ordering': ['position', 'pk'],
            },
        ),
        migrations.AddConstraint(
            model_name='sitesettings',
            constraint=models.CheckConstraint(condition=models.Q(('pk', 1)), name='site_settings_single_row'),
        ),
        migrations.AddConstraint(
            model_name='sitesettings',
            constraint=models.CheckConstraint(condition=models.Q(('posts_per_page__gte', 1), ('posts_per_page__lte', 100)), name='site_settings_posts_per_page_range'),
        ),
        migrations.AddConstraint(
            model_name='navigationlink',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('page__isnull', False), ('tag__isnull', True), ('url', '')), models.Q(('page__isnull', True), ('tag__isnull', False), ('url', '')), models.Q(('page__isnull', True), ('tag__isnull', True), models.Q(('url', ''), _negated=True)), _connector='OR'), name='navigation_link_one_target', violation_error_message='Link to one page, one tag or one address.'),
        ),
        migrations.RunPython(settings_from_environment, migrations.RunPython.noop),
    ]
