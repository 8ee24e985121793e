"""The HTTP front: one thread, non-blocking sockets, every client bounded.

A monitor must keep answering, and keep gathering, whatever a client on the
network does.  So the front holds no thread per connection: one loop (a
``selectors`` selector) accepts, reads, calls the WSGI application and
writes, for every connection at once.  Bounds, all in :class:`Limits`:

* at most ``max_connections`` open at once, a figure the daemon derives from
  the descriptor limit with a reserve kept for gathering; when full, the
  connection that has waited longest without completing a request is
  dropped to make room, so a scraper still gets in during a flood;
* a request's headers (and, over TLS, the handshake) must arrive whole within
  ``header_seconds`` of the connection or of its first byte after a
  keep-alive wait, however slowly they trickle (slowloris);
* a kept-alive connection idle for ``idle_seconds`` is closed;
* a response not taken by the client within ``write_seconds`` is dropped;
* headers are at most ``max_header_bytes``; a request body is refused.

Only ``GET`` and ``HEAD`` are served (anything else: 405 with ``Allow``);
``HEAD`` gets the headers of ``GET`` and no body.  The request target must be
in origin form (``/path?query``); anything else is the application's 404.

The application runs in the loop's thread: ipmpd's answers are rendered
from the last result and cached, so a call costs a copy.
"""

from __future__ import annotations

import errno
import io
import os
import selectors
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, Callable, Optional

import structlog

log = structlog.get_logger("ipmpd")

App = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

ALLOWED = ("GET", "HEAD")
# RFC 9110 5.6.2 token characters: what a method is made of
_TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
CONNECTIONS_CEILING = 4096  # whatever the descriptor limit: bounded memory


@dataclass(frozen=True)
class Limits:
    max_connections: int = 256
    header_seconds: float = 10.0
    idle_seconds: float = 60.0
    write_seconds: float = 30.0
    max_header_bytes: int = 8192


def connection_limit(nofile: int, reserve: int) -> int:
    """How many connections the front may hold with ``nofile`` descriptors,
    ``reserve`` of them kept for everything else (gathering, logs, SSH)."""
    return max(8, min(CONNECTIONS_CEILING, nofile - reserve))


class _Conn:
    __slots__ = (
        "addr",
        "close_after",
        "deadline",
        "first_byte",
        "inbuf",
        "outbuf",
        "sock",
        "state",
        "waiting",
    )

    def __init__(self, sock: socket.socket, addr: Any, state: str, deadline: float) -> None:
        self.sock = sock
        self.addr = addr
        self.state = state  # "handshake", "read" or "write"
        self.inbuf = bytearray()
        self.outbuf = memoryview(b"")
        self.deadline = deadline
        self.waiting = time.monotonic()  # since when it has owed us a request
        self.first_byte = False
        self.close_after = False


_REASONS = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    431: "Request Header Fields Too Large",
    505: "HTTP Version Not Supported",
}


class HttpFront:
    """Serves a WSGI application on ``host``:``port`` (TLS with ``tls``)."""

    def __init__(
        self,
        app: App,
        host: str,
        port: int,
        tls: Optional[ssl.SSLContext] = None,
        limits: Limits = Limits(),
    ) -> None:
        self.app = app
        self.tls = tls
        self.limits = limits
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind((host, port))
            self.socket.listen(128)
            self.socket.setblocking(False)
        except OSError:
            self.socket.close()
            raise
        self.server_address = self.socket.getsockname()[:2]
        self._conns: dict[int, _Conn] = {}
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._stop = threading.Event()
        self._stopped = threading.Event()
        self._accept_paused_until = 0.0
        self.dropped = 0  # connections closed by a limit (deadline, eviction)

    # ------------------------------------------------------------ the loop

    def serve_forever(self) -> None:
        sel = self._selector
        sel.register(self.socket, selectors.EVENT_READ, None)
        sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        listening = True
        next_sweep = 0.0
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if not listening and now >= self._accept_paused_until:
                    sel.register(self.socket, selectors.EVENT_READ, None)
                    listening = True
                for key, events in sel.select(timeout=0.25):
                    if key.data is None:
                        if not self._accept():
                            sel.unregister(self.socket)
                            listening = False
                    elif key.data == "wake":
                        try:
                            self._wake_r.recv(64)
                        except OSError:
                            pass
                    else:
                        self._service(key.data, events)
                now = time.monotonic()
                if now >= next_sweep:
                    next_sweep = now + 0.25
                    for conn in [c for c in self._conns.values() if c.deadline <= now]:
                        self.dropped += 1
                        self._close(conn)
        finally:
            for conn in list(self._conns.values()):
                self._close(conn)
            sel.close()
            self._stopped.set()

    def shutdown(self, timeout: float = 2.0) -> None:
        self._stop.set()
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        self._stopped.wait(timeout)

    def server_close(self) -> None:
        for s in (self.socket, self._wake_r, self._wake_w):
            s.close()

    @property
    def connections(self) -> int:
        return len(self._conns)

    # ------------------------------------------------------------ accepting

    def _accept(self) -> bool:
        """Accept what is pending; False to pause accepting (no descriptor left)."""
        for _ in range(64):
            if len(self._conns) >= self.limits.max_connections and not self._evict():
                return True  # all busy writing: leave the rest in the backlog
            try:
                sock, addr = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return True
            except OSError as e:
                if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # Never spin on a listener we cannot take from.
                    log.warning("http.accept_failed", error=e.strerror, connections=len(self._conns))
                    self._evict()
                    self._accept_paused_until = time.monotonic() + 0.1
                    return False
                return True  # ECONNABORTED and the like: that client is gone
            sock.setblocking(False)
            now = time.monotonic()
            state = "read"
            if self.tls is not None:
                try:
                    sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
                except (ssl.SSLError, OSError):
                    sock.close()
                    continue
                state = "handshake"
            conn = _Conn(sock, addr, state, now + self.limits.header_seconds)
            conn.first_byte = True
            self._conns[sock.fileno()] = conn
            self._selector.register(sock, selectors.EVENT_READ, conn)
        return True

    def _evict(self) -> bool:
        """Drop the connection that has owed a request the longest."""
        owing = [c for c in self._conns.values() if c.state != "write"]
        if not owing:
            return False
        self.dropped += 1
        self._close(min(owing, key=lambda c: c.waiting))
        return True

    def _close(self, conn: _Conn) -> None:
        fd = conn.sock.fileno()
        if self._conns.pop(fd, None) is None:
            return
        try:
            self._selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        try:
            conn.sock.close()
        except OSError:
            pass

    def _watch(self, conn: _Conn, events: int) -> None:
        try:
            self._selector.modify(conn.sock, events, conn)
        except (KeyError, ValueError):
            pass

    # ------------------------------------------------------------ servicing

    def _service(self, conn: _Conn, events: int) -> None:
        try:
            if conn.state == "handshake":
                self._handshake(conn)
            elif conn.state == "read":
                self._read(conn)
            elif conn.state == "write":
                self._write(conn)
        except (ssl.SSLError, OSError) as e:
            log.debug("http.connection_failed", client=str(conn.addr[0]), error=str(e))
            self._close(conn)

    def _handshake(self, conn: _Conn) -> None:
        sock = conn.sock
        assert isinstance(sock, ssl.SSLSocket)
        try:
            sock.do_handshake()
        except ssl.SSLWantReadError:
            self._watch(conn, selectors.EVENT_READ)
            return
        except ssl.SSLWantWriteError:
            self._watch(conn, selectors.EVENT_WRITE)
            return
        conn.state = "read"
        self._watch(conn, selectors.EVENT_READ)
        if sock.pending():
            self._read(conn)

    def _read(self, conn: _Conn) -> None:
        while True:
            try:
                chunk = conn.sock.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError, InterruptedError):
                break
            except ssl.SSLWantWriteError:
                self._watch(conn, selectors.EVENT_WRITE)
                return
            if not chunk:
                self._close(conn)
                return
            if not conn.first_byte:
                # a kept-alive connection starts a request: its headers are due
                conn.first_byte = True
                conn.deadline = time.monotonic() + self.limits.header_seconds
            conn.inbuf += chunk
            if len(conn.inbuf) > self.limits.max_header_bytes + 4 or b"\r\n\r\n" in conn.inbuf:
                break
        self._next_request(conn)

    def _next_request(self, conn: _Conn) -> None:
        while conn.inbuf[:2] == b"\r\n":  # RFC 9112 2.2: empty lines before a request are ignored
            del conn.inbuf[:2]
        end = conn.inbuf.find(b"\r\n\r\n")
        if end < 0:
            start = bytes(conn.inbuf[:32])
            method = start.partition(b" ")[0]
            if any(b not in _TOKEN for b in method.rstrip(b"\r")) or (b" " not in start and len(start) == 32):
                # not HTTP (a TLS hello on the plain port, say): say so now
                self._respond_error(conn, 400, close=True)
            elif len(conn.inbuf) > self.limits.max_header_bytes:
                self._respond_error(conn, 431, close=True)
            return
        if end > self.limits.max_header_bytes:
            self._respond_error(conn, 431, close=True)
            return
        head = bytes(conn.inbuf[:end])
        del conn.inbuf[: end + 4]
        self._handle(conn, head)

    def _handle(self, conn: _Conn, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            if len(parts) == 3 and parts[2].startswith("HTTP/"):
                self._respond_error(conn, 505, close=True)
            else:
                self._respond_error(conn, 400, close=True)
            return
        method, target, version = parts
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                self._respond_error(conn, 400, close=True)
                return
            key = name.strip().upper().replace("-", "_")
            value = value.strip()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        connection = headers.get("CONNECTION", "").lower()
        close = (version == "HTTP/1.0" and "keep-alive" not in connection) or "close" in connection
        # A body is never read, so after one the connection ends.
        length = headers.get("CONTENT_LENGTH", "0").strip()
        has_body = bool(headers.get("TRANSFER_ENCODING")) or length not in ("", "0")
        if method not in ALLOWED:
            self._respond_error(conn, 405, close=close or has_body, extra=[("Allow", ", ".join(ALLOWED))])
            return
        if has_body:
            self._respond_error(conn, 400, close=True)  # GET and HEAD carry none
            return
        status, out_headers, body = self._call(method, target, version, headers, conn)
        self._respond(conn, status, out_headers, b"" if method == "HEAD" else body, close)

    def _call(
        self, method: str, target: str, version: str, headers: dict[str, str], conn: _Conn
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        path, _, query = target.partition("?")
        host, port = self.server_address[0], self.server_address[1]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "GET" if method == "HEAD" else method,
            "SCRIPT_NAME": "",
            # anything but origin form ("/..."), e.g. an absolute URI, matches no route
            "PATH_INFO": urllib.parse.unquote(path, "latin-1") if path.startswith("/") else "\0" + path,
            "QUERY_STRING": query,
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": version,
            "REMOTE_ADDR": str(conn.addr[0]) if conn.addr else "",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https" if self.tls is not None else "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for key, value in headers.items():
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = value
            else:
                environ[f"HTTP_{key}"] = value
        started: list[Any] = []

        def start_response(status: str, hdrs: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, hdrs]
            return lambda data: None

        try:
            chunks = self.app(environ, start_response)
            try:
                body = b"".join(chunks)
            finally:
                closer = getattr(chunks, "close", None)
                if closer is not None:
                    closer()
        except Exception:
            log.exception("http.app_failed", path=environ["PATH_INFO"])
            return "500 Internal Server Error", [("Content-Type", "text/plain")], b"internal error\n"
        return started[0], started[1], body

    def _respond_error(
        self, conn: _Conn, code: int, close: bool, extra: Optional[list[tuple[str, str]]] = None
    ) -> None:
        text = f"{code} {_REASONS[code]}"
        headers = [("Content-Type", "text/plain")] + (extra or [])
        self._respond(conn, text, headers, (text + "\n").encode("ascii"), close)

    def _respond(
        self, conn: _Conn, status: str, headers: list[tuple[str, str]], body: bytes, close: bool
    ) -> None:
        names = {k.lower() for k, _ in headers}
        out = [f"HTTP/1.1 {status}"]
        out += [f"{k}: {v}" for k, v in headers if k.lower() not in ("connection", "date")]
        if "content-length" not in names:
            out.append(f"Content-Length: {len(body)}")
        out.append(f"Date: {formatdate(usegmt=True)}")
        out.append("Connection: close" if close else "Connection: keep-alive")
        raw = ("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body
        conn.outbuf = memoryview(raw)
        conn.close_after = close
        conn.state = "write"
        conn.deadline = time.monotonic() + self.limits.write_seconds
        self._write(conn)

    def _write(self, conn: _Conn) -> None:
        while conn.outbuf:
            try:
                sent = conn.sock.send(conn.outbuf)
            except (ssl.SSLWantWriteError, BlockingIOError, InterruptedError):
                self._watch(conn, selectors.EVENT_WRITE)
                return
            except ssl.SSLWantReadError:
                self._watch(conn, selectors.EVENT_READ)
                return
            conn.outbuf = conn.outbuf[sent:]
        if conn.close_after:
            self._close(conn)
            return
        # keep-alive: wait for the next request, at most idle_seconds
        now = time.monotonic()
        conn.state = "read"
        conn.first_byte = False
        conn.waiting = now
        conn.deadline = now + self.limits.idle_seconds
        self._watch(conn, selectors.EVENT_READ)
        if conn.inbuf or (isinstance(conn.sock, ssl.SSLSocket) and conn.sock.pending()):
            conn.first_byte = True
            conn.deadline = now + self.limits.header_seconds
            if isinstance(conn.sock, ssl.SSLSocket) and conn.sock.pending():
                self._read(conn)
            else:
                self._next_request(conn)


def raise_nofile() -> tuple[int, int, int]:
    """Raise the soft descriptor limit to the hard one; (soft before, soft
    now, hard).  Solaris starts services with a soft limit of 256."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard
    if hard == resource.RLIM_INFINITY:
        target = 65536
    if sys.platform == "darwin":  # pragma: no cover - not a target platform
        target = min(target, 10240)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            target = soft
    else:
        target = soft
    return soft, target, hard


def open_descriptors() -> Optional[int]:
    """How many descriptors this process has open, where /proc tells."""
    for d in ("/proc/self/fd", "/dev/fd"):
        try:
            return len(os.listdir(d))
        except OSError:
            continue
    return None
