# Site settings edited in the admin, and the navigation (issue 13).
import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("posts", "0007_page")]

    operations = [
        migrations.CreateModel(
            name='SiteSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=100, verbose_name='site title')),
                ('description', models.CharField(blank=True, max_length=300, verbose_name='description')),
                ('publisher_name', models.CharField(blank=True, help_text='Who publishes the site, for search engines; the title when left blank.', max_length=100, verbose_name='publisher name')),
                ('footer_text', models.CharField(blank=True, max_length=300, verbose_name='footer text')),
                ('posts_per_page', models.PositiveSmallIntegerField(default=10, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(100)], verbose_name='posts per page')),
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
                ('label', models.CharField(blank=True, max_length=60, verbose_name='label')),
                ('url', models.URLField(blank=True, verbose_name='address')),
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
    ]
