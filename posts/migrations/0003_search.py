from django.db import migrations

# As posts/search.py names them.
INDEX_NAME = "posts_post_search"
DOCUMENT_COLUMN = "search_document"

# PostgreSQL: each post's weighted search vector (title A, summary B, body C) in a stored
# generated column, so ranking reads it rather than parsing every matching body again,
# and a GIN index over it. The database computes it on every write, bulk ones included.
POSTGRESQL_CREATE = [
    f"ALTER TABLE posts_post ADD COLUMN {DOCUMENT_COLUMN} tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english'::regconfig, COALESCE(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, COALESCE(summary, '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, COALESCE(body, '')), 'C')) STORED",
    f"CREATE INDEX {INDEX_NAME} ON posts_post USING gin ({DOCUMENT_COLUMN})",
]
POSTGRESQL_DROP = [f"ALTER TABLE posts_post DROP COLUMN {DOCUMENT_COLUMN}"]  # and its index

# SQLite: an external-content FTS5 table over posts_post (it stores no copy of the text),
# kept in step by triggers, so every write path (save, update, bulk_create, delete, raw
# SQL) updates it. The porter tokenizer stems English words as PostgreSQL's does.
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
    "content='posts_post', content_rowid='id', tokenize='porter unicode61')",
    f"CREATE TRIGGER {INDEX_NAME}_insert AFTER INSERT ON posts_post BEGIN {_ADD} END",
    f"CREATE TRIGGER {INDEX_NAME}_delete AFTER DELETE ON posts_post BEGIN {_REMOVE} END",
    f"CREATE TRIGGER {INDEX_NAME}_update AFTER UPDATE ON posts_post BEGIN {_REMOVE} {_ADD} END",
    f"INSERT INTO {INDEX_NAME}({INDEX_NAME}) VALUES ('rebuild')",
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
    """Full-text search over posts: a generated tsvector column with a GIN index on
    PostgreSQL, an FTS5 table on SQLite. Either is filled from the existing posts.

    Neither is known to the Post model, so later migrations must mind them:
    - PostgreSQL refuses to change the type of a column a generated column reads (say, a
      longer title): drop search_document first and add it back as above.
    - SQLite: Django remakes posts_post for many changes, which drops the triggers with
      the old table: recreate them. tests/test_search.py checks both are in place.
    """

    dependencies = [("posts", "0002_post_uuid")]

    operations = [migrations.RunPython(create_index, drop_index)]
