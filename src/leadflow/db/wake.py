"""Waking a relay in another process on this machine when a commit stored events.

A process that relays the outbox is woken by its own commits (`OutboxRelay.notify`).
When the relay runs in another process (`leadflow serve --with-worker` starts one:
the requests and the handlers then each have a core), that process would otherwise
see the events only at its next poll, up to `relay_poll_seconds` later. Here the
committing process sends one datagram to a socket the relaying process listens on,
named after the database, so an idle system handles an event within milliseconds.

The socket lives in Linux's abstract namespace: no file to create, clean up or keep
under the 108-byte path limit, gone when its process is. Only one process per
database listens (the first to bind); the others, and every process on another
machine or system, still poll. A ping nobody hears costs one failed system call.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import socket
import sys
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


def address_for(database_url: str) -> str | None:
    """The socket name for a database, or None where abstract sockets do not exist."""
    if not sys.platform.startswith("linux"):
        return None
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:24]
    return f"\0leadflow-relay-{digest}"


class WakeChannel:
    """Pings from committing processes to the one relaying process of a database."""

    def __init__(self, database_url: str) -> None:
        self._address = address_for(database_url)
        self._sender: socket.socket | None = None
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def listening(self) -> bool:
        return self._listener is not None

    def ping(self) -> None:
        """Tell the listening process, if there is one, that events are waiting."""
        if self._address is None:
            return
        with self._lock:
            if self._sender is None:
                self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                self._sender.setblocking(False)
            sender = self._sender
        # Nobody listens (it polls), or its queue is full (it is awake anyway).
        with contextlib.suppress(OSError):
            sender.sendto(b"!", self._address)

    def listen(self, wake: Callable[[], None]) -> bool:
        """Call `wake` on each ping, from a thread of its own; False when another
        process of this machine listens for this database already (this one polls)."""
        if self._address is None or self._listener is not None:
            return self._listener is not None
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            listener.bind(self._address)
        except OSError:
            listener.close()
            logger.info("another process relays this database's events and hears its pings")
            return False
        self._listener = listener
        self._thread = threading.Thread(
            target=self._receive, args=(listener, wake), name="leadflow-relay-wake", daemon=True
        )
        self._thread.start()
        return True

    def _receive(self, listener: socket.socket, wake: Callable[[], None]) -> None:
        while True:
            try:
                data = listener.recv(64)
            except OSError:
                return  # closed
            if not data:
                return  # shut down (a ping is never empty)
            wake()

    def close(self) -> None:
        with self._lock:
            sender, self._sender = self._sender, None
            listener, self._listener = self._listener, None
        if sender is not None:
            sender.close()
        if listener is not None:
            # shutdown() ends the thread's recv(); close() alone may not.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
