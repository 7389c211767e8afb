import logging
import sys

from markup.log_format import OneLineFormatter


def test_a_traceback_is_folded_into_its_record_line():
    logger = logging.getLogger("django.request")
    try:
        raise ValueError("first line\nsecond line")
    except ValueError:
        record = logger.makeRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Internal Server Error: %s",
            ("/posts/x/",),
            exc_info=sys.exc_info(),
        )
    line = OneLineFormatter().format(record)
    assert "\n" not in line
    assert " ERROR django.request Internal Server Error: /posts/x/\\nTraceback" in line
    assert line.endswith("ValueError: first line\\nsecond line")
