"""A copy of recently served pages in each app-server process, so that serving a cached
page costs no round trip to Redis.

The shared cache stays the truth; this process only keeps copies while it listens on
Redis for changes of content. Every change is announced on a channel (``announce``), and
each request first reads what has arrived on it without waiting (``listen``): any
announcement drops every copy. A process that cannot listen keeps none, and a
subscription made anew (after a fork or a lost connection) starts with none, since
announcements may have been missed meanwhile. Another process stops serving a changed
page as soon as the announcement reaches it, a fraction of a millisecond after the change;
the process that made the change drops its copies at once.

Copies are bounded by the bytes of their content (settings.MARKUP_NEAR_CACHE_BYTES).
"""

import logging
import os
import threading
import time
from contextlib import suppress

from cachetools import LRUCache

logger = logging.getLogger(__name__)

# After a failure to listen, how long a process serves without copies before trying again.
RETRY_SECONDS = 5


class NearCache:
    def __init__(self, channel: str, max_bytes: int):
        self.channel = channel
        self._copies = LRUCache(max_bytes, getsizeof=lambda page: len(page["content"]))
        self._lock = threading.RLock()
        self._subscription = None
        self._backend = None
        self._pid = None
        self._retry_at = 0.0
        # Moves on whenever the copies are dropped; a copy made from what was read
        # before a move is not kept (see keep).
        self._epoch = 0

    def listen(self, backend) -> int | None:
        """Drop the copies if a change was announced; the epoch to pass to keep(), or
        None when this process cannot listen (then it keeps no copies)."""
        with self._lock:
            try:
                if not self._subscribed_to(backend):
                    if time.monotonic() < self._retry_at and backend is self._backend:
                        return None
                    self._subscribe(backend)
                while self._subscription.get_message(timeout=0) is not None:
                    self._drop()
            except Exception as error:
                logger.warning("not listening for changes, so no copies of pages: %s", error)
                self._unsubscribe()
                return None
            return self._epoch

    def get(self, key: str):
        with self._lock:
            return self._copies.get(key)

    def keep(self, key: str, page: dict, epoch: int | None) -> None:
        """Keep a copy of the page, unless the copies were dropped since ``epoch``."""
        with self._lock:
            fits = self._copies.getsizeof(page) <= self._copies.maxsize
            if epoch == self._epoch and self._subscription is not None and fits:
                self._copies[key] = page

    def announce(self, backend) -> None:
        """Tell every process that content changed; this one drops its copies at once."""
        with self._lock:
            self._drop()
        backend.publish(self.channel, "changed")

    def _subscribed_to(self, backend) -> bool:
        return (
            self._subscription is not None and self._backend is backend and self._pid == os.getpid()
        )

    def _subscribe(self, backend) -> None:
        self._unsubscribe()
        self._pid, self._backend = os.getpid(), backend
        subscription = backend.subscribe(self.channel)
        # Announcements count only from the moment the server confirms the subscription.
        confirmation = subscription.get_message(timeout=2)
        if not confirmation or confirmation["type"] != "subscribe":
            subscription.close()
            raise ConnectionError(f"no confirmation of the subscription to {self.channel}")
        self._subscription = subscription
        self._drop()

    def _unsubscribe(self) -> None:
        if self._subscription is not None and self._pid == os.getpid():
            with suppress(Exception):  # a connection that failed may fail to close too
                self._subscription.close()
        self._subscription = None
        self._retry_at = time.monotonic() + RETRY_SECONDS
        self._drop()

    def _drop(self) -> None:
        self._copies.clear()
        self._epoch += 1
