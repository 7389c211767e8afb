"""WSGI entry point: ``gunicorn markup.wsgi:application``."""

import gc
import os
import sys

from django.core.wsgi import get_wsgi_application

from markup.environment import ConfigurationError

# gunicorn stops instead of restarting a worker forever when one exits with status 3.
WORKER_BOOT_ERROR = 3

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "markup.settings")

try:
    application = get_wsgi_application()
except ConfigurationError as error:
    print(error.code, file=sys.stderr)
    sys.exit(WORKER_BOOT_ERROR)

# What is loaded by now (Django, the apps, their modules) lives as long as the process:
# leave it out of the garbage collector's full passes, which otherwise walk its ~95,000
# objects every few dozen requests, ~60 ms a pass (docs/performance.md).
gc.collect()
gc.freeze()
