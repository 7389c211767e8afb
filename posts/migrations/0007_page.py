# Pages: standalone pages beside the posts (issue 13), and their full-text search index.
from django.db import migrations, models

# As posts/search.py names them; built as migration 0003 builds the posts' index.
INDEX_NAME = "posts_page_search"
DOCUMENT_COLUMN = "search_document"

POSTGRESQL_CREATE = [
    f"ALTER TABLE posts_page ADD COLUMN {DOCUMENT_COLUMN} tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, COALESCE(summary, '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, COALESCE(body, '')), 'C')) STORED",
    f"CREATE INDEX {INDEX_NAME} ON posts_page USING gin ({DOCUMENT_COLUMN})",
]
POSTGRESQL_DROP = [f"ALTER TABLE posts_page DROP COLUMN {DOCUMENT_COLUMN}"]  # and its index

_ADD = (
    f"INSERT INTO {INDEX_NAME}(rowid, title, summary, body) "
    "VALUES (new.id, new.title, new.summary, new.body);"
)
_REMOVE = (
    f"INSERT INTO {INDEX_NAME}({INDEX_NAME}, rowid, title, summary, body) "
    "VALUES ('delete', old.id, old.title, old.summary, old.body);"
)
SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE {INDEX_NAME} USING fts5(title, summary, body, "
    "content='posts_page', content_rowid='id', tokenize='porter unicode61')",
    f"CREATE TRIGGER {INDEX_NAME}_insert AFTER INSERT ON posts_page BEGIN {_ADD} END",
    f"CREATE TRIGGER {INDEX_NAME}_delete AFTER DELETE ON posts_page BEGIN {_REMOVE} END",
    f"CREATE TRIGGER {INDEX_NAME}_update AFTER UPDATE ON posts_page BEGIN {_REMOVE} {_ADD} END",
]
SQLITE_DROP = [
    f"DROP TRIGGER {INDEX_NAME}_update",
    f"DROP TRIGGER {INDEX_NAME}_delete",
    f"DROP TRIGGER {INDEX_NAME}_insert",
    f"DROP TABLE {INDEX_NAME}",
]

STATEMENTS = {
    "postgresql": (POSTGRESQL_CREATE, POSTGRESQL_DROP),
    "sqlite": (SQLITE_CREATE, SQLITE_DROP),
}


def create_index(apps, schema_editor):
    create, _ = STATEMENTS.get(schema_editor.connection.vendor, ([], []))
    for statement in create:
        schema_editor.execute(statement)


def drop_index(apps, schema_editor):
    _, drop = STATEMENTS.get(schema_editor.connection.vendor, ([], []))
    for statement in drop:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("posts", "0006_image_redirect")]

    operations = [
        migrations.CreateModel(
            name='Page',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('slug', models.SlugField(allow_unicode=True, help_text="The page's address: /slug/. Addresses the site uses itself (admin, posts, tags, feeds, search …) are refused.", max_length=100, unique=True, verbose_name='slug')),
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
                'ordering': [models.F('navigation_position').asc(nulls_last=True), 'title'],
                'constraints': [models.CheckConstraint(condition=models.Q(('status__in', ['draft', 'published'])), name='page_status_valid'), models.CheckConstraint(condition=models.Q(('body', ''), models.Q(('rendered_digest', ''), _negated=True), _connector='OR'), name='page_body_is_rendered', violation_error_message="A page's body must be rendered.")],
            },
        ),
        # The table is new and empty: nothing to fill the index from. Like the posts'
        # index, the Page model does not know it (see migration 0003 on later changes).
        migrations.RunPython(create_index, drop_index),
    ]
