"""One log record, one line: what log collectors and ``grep`` expect."""

import logging


class OneLineFormatter(logging.Formatter):
    """``time level logger message``, with any traceback folded into the same line.

    Newlines inside a record become a literal ``\\n``, so a traceback stays one entry
    in journald or a log shipper and can be unfolded with ``sed 's/\\\\n/\\n/g'``.
    """

    def __init__(self, fmt: str = "%(asctime)s %(levelname)s %(name)s %(message)s", **kwargs):
        super().__init__(fmt, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "").replace("\n", "\\n")
