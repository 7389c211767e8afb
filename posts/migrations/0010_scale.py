# Scale: indexes and what else keeps every page's cost flat at 100k posts (issue 11).
from django.db import migrations, models

# As 0003_search made them.
INDEX_NAME = "posts_post_search"
_ADD = (
    f"INSERT INTO {INDEX_NAME}(rowid, title, summary, body) "
    "VALUES (new.id, new.title, new.summary, new.body);"
)
_REMOVE = (
    f"INSERT INTO {INDEX_NAME}({INDEX_NAME}, rowid, title, summary, body) "
    "VALUES ('delete', old.id, old.title, old.summary, old.body);"
)
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER {INDEX_NAME}_insert AFTER INSERT ON posts_post BEGIN {_ADD} END",
    f"CREATE TRIGGER {INDEX_NAME}_delete AFTER DELETE ON posts_post BEGIN {_REMOVE} END",
    f"CREATE TRIGGER {INDEX_NAME}_update AFTER UPDATE ON posts_post BEGIN {_REMOVE} {_ADD} END",
]


def keep_sqlite_search_in_step(apps, schema_editor):
    """Put back the search triggers if an earlier migration remade posts_post without
    them (SQLite drops a table's triggers with it), and index what was missed meanwhile."""
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'posts_post'"
        )
        present = {name for (name,) in cursor.fetchall()}
    if {f"{INDEX_NAME}_insert", f"{INDEX_NAME}_delete", f"{INDEX_NAME}_update"} <= present:
        return
    for trigger in ("insert", "delete", "update"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {INDEX_NAME}_{trigger}")
    for statement in SQLITE_TRIGGERS:
        schema_editor.execute(statement)
    schema_editor.execute(f"INSERT INTO {INDEX_NAME}({INDEX_NAME}) VALUES ('rebuild')")


class Migration(migrations.Migration):
    """The admin's post list walks an index in its order (-published_at, -created_at,
    -id) instead of sorting every post. An index change leaves posts_post as it is: the
    search triggers and column of 0003 stay; on SQLite they are checked for anyway."""

    dependencies = [("posts", "0009_roles")]

    operations = [
        migrations.AddIndex(
            model_name="post",
            index=models.Index(
                fields=["-published_at", "-created_at", "-id"], name="post_admin_order"
            ),
        ),
        migrations.RunPython(keep_sqlite_search_in_step, migrations.RunPython.noop),
    ]
