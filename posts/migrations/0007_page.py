# Pages: standalone pages beside the posts (issue 13).
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("posts", "0006_image_redirect")]

    operations = [
        migrations.CreateModel(
            name='Page',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('slug', models.SlugField(allow_unicode=True, help_text="The page's address: /slug/.", max_length=100, unique=True, verbose_name='slug')),
                ('body', models.TextField(help_text='Markdown, as in posts.', verbose_name='body')),
                ('body_html', models.TextField(editable=False, verbose_name='rendered body')),
                ('toc', models.JSONField(default=list, editable=False, verbose_name='table of contents')),
                ('excerpt', models.TextField(blank=True, editable=False, verbose_name='excerpt')),
                ('word_count', models.PositiveIntegerField(default=0, editable=False, verbose_name='word count')),
                ('rendered_digest', models.CharField(editable=False, max_length=64)),
                ('summary', models.TextField(blank=True, help_text="The page's description for search engines and link previews.", max_length=500, verbose_name='summary')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=10, verbose_name='status')),
                ('navigation_position', models.PositiveSmallIntegerField(blank=True, help_text="Where the page appears in the site's navigation; blank keeps it out.", null=True, verbose_name='order in the navigation')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
            ],
            options={
                'verbose_name': 'page',
                'verbose_name_plural': 'pages',
                'ordering': ['navigation_position', 'title'],
                'constraints': [models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'published'])), name='page_status_valid'), models.CheckConstraint(condition=models.Q(('body', ''), models.Q(('rendered_digest', ''), _negated=True), _connector='OR'), name='page_body_is_rendered', violation_error_message="A page's body must be rendered.")],
            },
        ),
    ]
