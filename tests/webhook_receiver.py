"""A real HTTP receiver for webhooks: http.server in a thread on 127.0.0.1.

The webhook tests and the API tests use it (``receiver`` fixtures).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    url: str
    # Answers to give, in order; then 200 for ever.
    script: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted_ids(self) -> list[str]:
        """The webhook-id of every request answered 2xx, in arrival order."""
        return [r.headers["webhook-id"] for r in self.requests if r.status < 300]


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A receiver answering its ``script`` (then 200), until the block ends."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.lock:
                status = state.script.pop(0) if state.script else 200
                state.requests.append(
                    Received(
                        {k.lower(): v for k, v in self.headers.items()}, body, status
                    )
                )
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/cbm"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
