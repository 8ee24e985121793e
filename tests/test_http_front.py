"""The HTTP front (ipmpd/server.py) against clients that misbehave.

The fast tests run the front in this process on the demo host's WSGI app;
the slow ones run ``ipmpd run`` with a soft descriptor limit of 256, as
Solaris starts services, under a thousand slow connections."""

from __future__ import annotations

import http.client
import os
import resource
import socket
import threading
import time
from pathlib import Path

import pytest
from daemon_harness import Daemon as RunningDaemon

from ipmpd.config import Config
from ipmpd.daemon import Daemon
from ipmpd.runner import CaptureRunner
from ipmpd.server import HttpFront, Limits, connection_limit
from ipmpd.settings import demo_dir


@pytest.fixture
def front():
    fronts = []

    def start(limits: Limits = Limits()) -> HttpFront:
        daemon = Daemon(Config(), CaptureRunner(demo_dir()), None)
        daemon.cycle()
        f = HttpFront(daemon.wsgi_app(), "127.0.0.1", 0, limits=limits)
        threading.Thread(target=f.serve_forever, daemon=True).start()
        fronts.append(f)
        return f

    yield start
    for f in fronts:
        f.shutdown()
        f.server_close()


def raw(f: HttpFront, request: bytes, timeout: float = 5) -> bytes:
    """Send ``request`` on a new connection; everything the server sends back until it closes."""
    with socket.create_connection(f.server_address, timeout=timeout) as s:
        s.sendall(request)
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "TRACE", "OPTIONS", "FOO"])
def test_only_get_and_head_are_served(front, method):
    f = front()
    got = raw(f, f"{method} /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert status(got) == 405
    assert b"\r\nAllow: GET, HEAD\r\n" in got


def test_a_body_ends_the_connection(front):
    f = front()
    got = raw(f, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
    assert status(got) == 405 and b"Connection: close" in got


def test_head_has_the_headers_of_get_and_no_body(front):
    f = front()
    c = http.client.HTTPConnection(*f.server_address, timeout=5)
    c.request("GET", "/metrics")
    r = c.getresponse()
    body = r.read()
    c.request("HEAD", "/metrics")
    h = c.getresponse()
    assert h.status == 200 and h.read() == b""
    assert int(h.headers["Content-Length"]) == len(body) > 0
    c.close()
    # and on the wire, nothing follows the headers
    got = raw(f, b"HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert got.endswith(b"\r\n\r\n")


@pytest.mark.parametrize(
    "target",
    ["/../etc/passwd", "/%2e%2e/etc/passwd", "http://example.com/metrics", "*", "/metrics/../metrics"],
)
def test_traversal_and_other_forms_are_not_found(front, target):
    f = front()
    got = raw(f, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert status(got) == 404


@pytest.mark.parametrize(
    "request_bytes,code",
    [
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400),  # a TLS hello on the plain port
        (b"GET /metrics\r\n\r\n", 400),  # HTTP/0.9
        (b"GET /metrics HTTP/2.0\r\n\r\n", 505),
        (b"GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n", 400),
        (b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n", 431),
    ],
)
def test_what_is_not_a_request_is_answered_and_closed(front, request_bytes, code):
    f = front()
    got = raw(f, request_bytes)
    assert status(got) == code and b"Connection: close" in got


def test_headers_must_arrive_in_time_however_slowly_they_trickle(front):
    f = front(Limits(header_seconds=1.0))
    with socket.create_connection(f.server_address, timeout=5) as s:
        start = time.monotonic()
        closed_after = None
        for byte in b"GET /metrics HTTP/1.1\r\n":
            try:
                s.sendall(bytes([byte]))
                time.sleep(0.2)
                s.settimeout(0.01)
                if s.recv(1) == b"":
                    closed_after = time.monotonic() - start
                    break
            except socket.timeout:
                continue
            except OSError:
                closed_after = time.monotonic() - start
                break
    assert closed_after is not None and closed_after < 3


def test_an_idle_keep_alive_connection_is_closed(front):
    f = front(Limits(idle_seconds=0.5))
    c = http.client.HTTPConnection(*f.server_address, timeout=5)
    c.request("GET", "/metrics")
    c.getresponse().read()
    assert f.connections == 1
    deadline = time.monotonic() + 5
    while f.connections and time.monotonic() < deadline:
        time.sleep(0.1)
    assert f.connections == 0
    c.close()


def test_when_full_the_oldest_waiting_connection_makes_room(front):
    f = front(Limits(max_connections=10))
    idle = [socket.create_connection(f.server_address) for _ in range(30)]
    try:
        c = http.client.HTTPConnection(*f.server_address, timeout=5)
        c.request("GET", "/metrics")
        assert c.getresponse().status == 200
        assert f.connections <= 10
    finally:
        for s in idle:
            s.close()


def test_sequential_and_concurrent_scrapes_all_succeed(front):
    f = front()
    for _ in range(2000):
        c = http.client.HTTPConnection(*f.server_address, timeout=5)
        c.request("GET", "/metrics")
        r = c.getresponse()
        assert r.status == 200 and r.read()
        c.close()
    errors: list[str] = []

    def client() -> None:
        c = http.client.HTTPConnection(*f.server_address, timeout=5)
        try:
            for _ in range(50):
                c.request("GET", "/metrics", headers={"Accept-Encoding": "gzip"})
                r = c.getresponse()
                if r.status != 200 or not r.read():
                    errors.append(str(r.status))
        except OSError as e:
            errors.append(str(e))
        finally:
            c.close()

    threads = [threading.Thread(target=client) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []


def test_the_connection_limit_keeps_a_reserve():
    assert connection_limit(256, 128) == 128
    assert connection_limit(20000, 128) == 4096  # bounded memory whatever the limit
    assert connection_limit(100, 128) == 8


# ------------------------------------------------------------------ under attack, for real


def _limit_nofile(soft: int, hard: int):
    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    return preexec


class _Slowloris:
    """``count`` connections each sending one header byte every ``every``
    seconds, reopened when the server drops them."""

    def __init__(self, address: tuple[str, int], count: int, every: float = 5.0) -> None:
        self.address = address
        self.count = count
        self.every = every
        self.stop = threading.Event()
        self.reopened = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self) -> socket.socket:
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(self.address)
        return s

    def _run(self) -> None:
        line = b"GET /metrics HTTP/1.1\r\n"
        conns = [[self._open(), 0] for _ in range(self.count)]
        while not self.stop.wait(self.every):
            for c in conns:
                try:
                    c[0].send(line[c[1] % len(line) : c[1] % len(line) + 1])
                    c[1] += 1
                except OSError:
                    c[0].close()
                    c[0], c[1] = self._open(), 0
                    self.reopened += 1
        for c in conns:
            c[0].close()


def _threads_and_rss(pid: int) -> tuple[int, int]:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return int(fields["Threads"]), int(fields["VmRSS"].split()[0])


@pytest.mark.slow
@pytest.mark.parametrize("soft,hard", [(256, 4096), (256, 256)])
def test_a_thousand_slow_connections_do_not_blind_the_monitor(demo_copy, fakebin, tmp_path, soft, hard):
    mine = resource.getrlimit(resource.RLIMIT_NOFILE)
    if mine[1] < max(hard, 1200):
        pytest.skip(f"this machine's hard descriptor limit is {mine[1]}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(mine[0], 1200), mine[1]))
    daemon = RunningDaemon(
        tmp_path,
        demo_copy,
        fakebin,
        modlist_interval=None,
        command_timeout="5s",
        preexec_fn=_limit_nofile(soft, hard),
    )
    proc, port = daemon.proc, daemon.port
    attack = _Slowloris(("127.0.0.1", port), 1000)
    try:
        _wait_for_metrics(port)
        attack.thread.start()
        time.sleep(3)
        answered = asked = 0
        most_threads = most_rss = 0
        end = time.monotonic() + 30
        while time.monotonic() < end:
            asked += 1
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                c.request("GET", "/metrics")
                r = c.getresponse()
                if r.status == 200 and b"ipmpd_source_up" in r.read():
                    answered += 1
                c.close()
            except OSError:
                pass
            threads, rss = _threads_and_rss(proc.pid)
            most_threads, most_rss = max(most_threads, threads), max(most_rss, rss)
            time.sleep(0.2)
    finally:
        attack.stop.set()
        daemon.stop()
    events = daemon.events()
    started = next(e for e in events if e["event"] == "daemon.started")
    assert started["nofile_soft_at_start"] == soft and started["nofile_soft"] == hard
    gathers = [e for e in events if e["event"] == "gather.completed"]
    assert answered >= 0.99 * asked, (answered, asked)
    assert len(gathers) >= 20 and all(g["sources_failed"] == [] for g in gathers)
    assert "Too many open files" not in daemon.log.read_text()
    assert most_threads <= 100 and most_rss <= 80 * 1024, (most_threads, most_rss)
    if hard > soft:
        assert attack.reopened > 0  # the header deadline dropped them; they came back


def _wait_for_metrics(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("ipmpd never listened")


def test_nothing_below_the_command_line_imports_it():
    """Rooms stay one-way: no module of the package but cli.py and
    __main__.py imports ipmpd.cli, and config.py does not import the checks."""
    package = Path(__file__).resolve().parent.parent / "ipmpd"
    for path in package.rglob("*.py"):
        if path.name in ("cli.py", "__main__.py"):
            continue
        text = path.read_text()
        assert "from ipmpd.cli" not in text and "import ipmpd.cli" not in text, path
        assert "from ipmpd import cli" not in text, path
    config = (package / "config.py").read_text()
    assert "ipmpd.checks" not in config and "from ipmpd import checks" not in config
    assert os.path.exists(package / "server.py")
