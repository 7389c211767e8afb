"""ASGI entry point, for servers such as uvicorn or daphne."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "markup.settings")

application = get_asgi_application()

# As markup.wsgi: what is loaded by now stays out of the garbage collector's full passes.
gc.collect()
gc.freeze()
