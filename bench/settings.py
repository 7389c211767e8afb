"""markup's settings with one more address, /bench/minimal/: a Django view that does nothing,
behind the same middleware as every page (the floor for a cached page)."""

from markup.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
