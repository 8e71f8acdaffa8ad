"""A Kafka address that accepts connections and never answers: what a broker behind a broken
network path or a hung JVM looks like to librdkafka. Records sent there stay in flight until
their delivery timeout."""

from __future__ import annotations

import contextlib
import socket
import threading


@contextlib.contextmanager
def silent_broker():
    """Yields "127.0.0.1:PORT"; every connection is held open, unread, until the block ends."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    held, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(listener.accept()[0])

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        t.join()
        for s in held:
            s.close()
        listener.close()
