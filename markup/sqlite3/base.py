"""Django's SQLite backend, keeping the query planner's statistics up to date.

Without statistics SQLite plans some of markup's queries badly at scale (at 100k posts a
post page took ~45 ms instead of 9, a deep tag page 43 instead of 17), and Django never
runs ANALYZE. SQLite's advice for that is ``PRAGMA optimize`` as each connection closes:
it analyzes the tables the connection used that have no statistics yet, or whose size
changed a lot since, and is otherwise a no-op. The analysis reads whole tables (mask 0x02
leaves out the sampling newer SQLite versions add): sampled, it took a post's status for
a rare value, and deep list pages got slower. It costs ~0.1-0.3 s at 100k posts, once,
after the answer has gone out.
"""

from contextlib import suppress

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def _close(self):
        if self.connection is not None and not self.is_in_memory_db():
            # Statistics are an optimisation: a busy or read-only database goes without.
            with suppress(base.Database.Error):
                self.connection.execute("PRAGMA optimize(0x02)")
        super()._close()
