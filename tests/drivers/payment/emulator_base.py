"""What both provider emulators share: an HTTPS server on a free port of 127.0.0.1 with the
test CA's certificate, asking for (not requiring) a client certificate, one thread per
connection, and a switch that makes it hang before answering."""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.drivers.payment.tls import EmulatorCA


class Emulator:
    """Subclasses implement ``answer(path, body, has_client_cert) -> (status, text, type)``."""

    def __init__(self, ca: EmulatorCA) -> None:
        self.errors: list[str] = []
        """Every request the emulator found wrong: the tests assert it stays empty."""
        self.requests: list[tuple[str, str]] = []
        self.hang = 0
        """The next this many requests are carried out but get no answer until the client
        gives up."""
        self._release = threading.Event()
        self._lock = threading.Lock()
        cert, key = ca.issue("emulator", server=True)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        context.load_verify_locations(ca.ca)
        context.verify_mode = ssl.CERT_OPTIONAL
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length).decode("utf-8")
                peer = self.connection.getpeercert()  # type: ignore[attr-defined]
                with emulator._lock:
                    emulator.requests.append((self.path, body))
                    # The request is carried out; only its answer is lost.
                    status, text, ctype = emulator.answer(self.path, body, bool(peer))
                    hang = emulator.hang > 0
                    if hang:
                        emulator.hang -= 1
                if hang:
                    emulator._release.wait(5)
                    return
                data = text.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def answer(self, path: str, body: str, client_cert: bool) -> tuple[int, str, str]:
        raise NotImplementedError

    def error(self, text: str) -> None:
        self.errors.append(text)

    def calls(self, marker: str) -> int:
        return sum(marker in p or marker in b for p, b in self.requests)

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()
