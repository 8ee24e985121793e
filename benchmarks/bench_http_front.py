"""HTTP front, by measurement: ipmpd's own server against cheroot and uvicorn.

Each server runs as its own subprocess on 127.0.0.1 (a free port), serving
the demo host, with its soft RLIMIT_NOFILE set to 256 in the child (hard
limit left as is), as on Solaris where the default soft limit is 256:

  ipmpd          `python -m ipmpd run --demo` from the working tree, whatever
                 front it has at the time of the run.
  ipmpd-<rev>    the same from another tree (--old-tree PATH, e.g. a
                 `git worktree add` of the previous server), for a before/after.
  cheroot        Daemon.wsgi_app() of the working tree under cheroot.wsgi.Server,
                 defaults: numthreads=10, max=-1 (no extra threads), timeout=10 s
                 per socket read, request_queue_size=5, no TLS adapter.
  uvicorn        the same app under uvicorn (http="h11", loop="asyncio") through
                 a2wsgi.WSGIMiddleware (workers=10), defaults: timeout_keep_alive=5 s,
                 no limit_concurrency, backlog=2048.
  uvicorn-wsgi   the same with uvicorn's own interface="wsgi" (its deprecated
                 WSGIMiddleware, a pool of 10 threads).
(the cheroot and uvicorn launchers are this program: --serve NAME PORT).

Measurements, per server, each attack on a freshly started server:

  slowloris  N connections (default 1000) from this process, each sending
             "GET /metrics HTTP/1.1\\r\\n" one byte every 5 s, held 60 s.
  idle       N connections that send nothing, held 60 s.
             During both, a scraper GETs /metrics on a fresh connection every
             0.2 s and counts it answered when a 200 and its whole body come
             back within 1 s.  At the end (before the attack is released): how
             many connections are established / still open / closed by the
             server / never established (client view), the server's open
             descriptors, threads and VmRSS (/proc), whether it is alive; then
             whether a scrape is answered within 15 s of releasing the attack.
  methods    status for GET HEAD POST PUT DELETE TRACE FOO, a TLS ClientHello
             sent to the plain port, /../etc/passwd, /%2e%2e/etc/passwd and the
             absolute form "GET http://example.com/metrics"; body bytes of HEAD;
             whether a 405 carries Allow.
  load       2,000 sequential GET /metrics on new connections, then 20 client
             threads doing keep-alive GETs for 10 s (http.client, with
             Accept-Encoding: gzip as Prometheus sends).  The client threads
             share this machine's CPUs and this process's GIL with nothing
             else, but the server shares the CPUs: the figures compare the
             servers with each other, not with a dedicated load generator.

It prints tables; it asserts nothing about time.  Run:
  .venv/bin/python benchmarks/bench_http_front.py [--quick] [--old-tree /tmp/ipmpd-old]
      [--servers ipmpd,cheroot,uvicorn] [--connections 1000] [--hold 60]
"""

from __future__ import annotations

import argparse
import errno
import http.client
import os
import re
import resource
import selectors
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from common import REPO, machine, table
from helpers import free_port, stop_process

HOST = "127.0.0.1"
SERVER_NOFILE = 256
REQUEST_LINE = b"GET /metrics HTTP/1.1\r\n"
SCRAPE_HEADERS = {"Accept-Encoding": "gzip", "Accept": "text/plain;version=0.0.4"}
WSGI_SERVERS = ("cheroot", "uvicorn", "uvicorn-wsgi")


# ------------------------------------------------------------------ launchers


def demo_app() -> Callable[..., Any]:
    from importlib import resources

    from ipmpd import daemon as daemon_module
    from ipmpd.config import Config
    from ipmpd.runner import CaptureRunner

    configure = getattr(daemon_module, "configure_logging", None)
    if configure is not None:
        configure(open(os.devnull, "w"))
    d = daemon_module.Daemon(Config(), CaptureRunner(str(resources.files("ipmpd") / "demo")), None)
    d.schedule()
    d.scheduler.start()
    return d.wsgi_app()  # type: ignore[no-any-return]


def serve(name: str, port: int) -> None:
    app = demo_app()
    if name == "cheroot":
        from cheroot import wsgi

        server = wsgi.Server((HOST, port), app)
        signal.signal(signal.SIGTERM, lambda *_: server.stop())
        server.start()
        return
    import uvicorn

    if name == "uvicorn":
        from a2wsgi import WSGIMiddleware

        config = uvicorn.Config(
            WSGIMiddleware(app), host=HOST, port=port, http="h11", loop="asyncio", lifespan="off"
        )
    elif name == "uvicorn-wsgi":
        config = uvicorn.Config(
            app, host=HOST, port=port, http="h11", loop="asyncio", lifespan="off", interface="wsgi"
        )
    else:
        raise SystemExit(f"unknown server {name}")
    config.log_level = "warning"
    uvicorn.Server(config).run()


# ------------------------------------------------------------------ processes


def limit_nofile() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (SERVER_NOFILE, hard))


class Server:
    def __init__(self, name: str, old_tree: Optional[Path]) -> None:
        self.name = name
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-http-{name}-", suffix=".log", delete=False)
        env = dict(os.environ)
        if name in WSGI_SERVERS:
            argv = [sys.executable, str(Path(__file__).resolve()), "--serve", name, str(self.port)]
            cwd, env["PYTHONPATH"] = REPO, str(REPO)
        else:
            tree = old_tree if name != "ipmpd" and old_tree is not None else REPO
            argv = [sys.executable, "-m", "ipmpd", "run", "--demo", "--listen", f"{HOST}:{self.port}"]
            cwd, env["PYTHONPATH"] = tree, str(tree)
        self.proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=limit_nofile
        )

    def wait_ready(self, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.alive():
            ok, _ = scrape(self.port, 2.0)
            if ok:
                return True
            time.sleep(0.3)
        return False

    def alive(self) -> bool:
        return self.proc.poll() is None

    def proc_status(self) -> dict[str, str]:
        out: dict[str, str] = {"threads": "-", "rss": "-", "fds": "-", "nofile": "-"}
        pid = self.proc.pid
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("Threads:"):
                    out["threads"] = line.split()[1]
                elif line.startswith("VmRSS:"):
                    out["rss"] = f"{int(line.split()[1]) / 1024:.1f}"
            out["fds"] = str(len(os.listdir(f"/proc/{pid}/fd")))
            for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
                if line.startswith("Max open files"):
                    out["nofile"] = line.split()[3]
        except (OSError, IndexError, ValueError):
            pass
        return out

    def log_text(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.proc)
        self.log.close()
        os.unlink(self.log.name)


# ------------------------------------------------------------------ clients


def scrape(port: int, timeout: float) -> tuple[bool, float]:
    """One GET /metrics on a new connection; ok when a 200 and its whole body came within timeout."""
    start = time.monotonic()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", "/metrics", headers=SCRAPE_HEADERS)
        r = conn.getresponse()
        r.read()
        took = time.monotonic() - start
        return r.status == 200 and took <= timeout, took
    except (OSError, http.client.HTTPException):
        return False, time.monotonic() - start
    finally:
        conn.close()


class Scraper(threading.Thread):
    """GET /metrics with a 1 s timeout every 0.2 s on a fresh connection, until stopped."""

    def __init__(self, port: int, every: float = 0.2, timeout: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.port, self.every, self.timeout = port, every, timeout
        self.stopping = threading.Event()
        self.tries = self.answered = 0

    def run(self) -> None:
        next_at = time.monotonic()
        while not self.stopping.is_set():
            ok, _ = scrape(self.port, self.timeout)
            self.tries += 1
            self.answered += ok
            next_at += self.every
            self.stopping.wait(max(0.0, next_at - time.monotonic()))
            next_at = max(next_at, time.monotonic() - self.every)

    def percent(self) -> str:
        return f"{100.0 * self.answered / self.tries:.0f}% of {self.tries}" if self.tries else "-"


def raise_own_nofile(want: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        target = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class Attack:
    """N client connections to the port, held for `hold` seconds; trickle: one byte each `every` s."""

    def __init__(self, port: int, n: int, hold: float, trickle: bool, every: float = 5.0) -> None:
        self.port, self.n, self.hold, self.trickle, self.every = port, n, hold, trickle, every
        self.sel = selectors.DefaultSelector()
        self.pending: set[socket.socket] = set()
        self.open: dict[socket.socket, list[float]] = {}  # sock -> [next send time, bytes sent]
        self.established = self.closed = self.answered = self.refused = 0

    def start(self) -> None:
        for _ in range(self.n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            err = s.connect_ex((HOST, self.port))
            if err not in (0, errno.EINPROGRESS):
                self.refused += 1
                s.close()
                continue
            self.pending.add(s)
            self.sel.register(s, selectors.EVENT_WRITE)

    def _connected(self, s: socket.socket) -> None:
        self.pending.discard(s)
        self.sel.unregister(s)
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
            self.refused += 1
            s.close()
            return
        self.established += 1
        self.open[s] = [time.monotonic(), 0]
        self.sel.register(s, selectors.EVENT_READ)

    def _lost(self, s: socket.socket) -> None:
        self.closed += 1
        del self.open[s]
        self.sel.unregister(s)
        s.close()

    def _readable(self, s: socket.socket) -> None:
        try:
            data = s.recv(65536)
        except OSError:
            data = b""
        if data:
            self.answered += 1  # e.g. a 408 or 400: counted once more per chunk is harmless here
            return
        self._lost(s)

    def _send(self, now: float) -> None:
        for s, st in list(self.open.items()):
            if st[0] > now:
                continue
            i = int(st[1]) % len(REQUEST_LINE)
            try:
                s.send(REQUEST_LINE[i : i + 1])
            except OSError:
                self._lost(s)
                continue
            st[0] += self.every
            st[1] += 1

    def step(self, until: float) -> None:
        while True:
            now = time.monotonic()
            if now >= until:
                return
            for key, _ in self.sel.select(timeout=min(0.1, until - now)):
                s = key.fileobj
                assert isinstance(s, socket.socket)
                if s in self.pending:
                    self._connected(s)
                elif s in self.open:
                    self._readable(s)
            if self.trickle:
                self._send(time.monotonic())

    def release(self) -> None:
        for s in list(self.pending) + list(self.open):
            self.sel.unregister(s)
            s.close()
        self.pending.clear()
        self.open.clear()
        self.sel.close()


def run_attack(server: Server, n: int, hold: float, trickle: bool) -> list[object]:
    attack = Attack(server.port, n, hold, trickle)
    scraper = Scraper(server.port)
    attack.start()
    scraper.start()
    end = time.monotonic() + hold
    peak_threads = 0
    while time.monotonic() < end:
        attack.step(min(end, time.monotonic() + 1.0))
        t = server.proc_status()["threads"]
        if t.isdigit():
            peak_threads = max(peak_threads, int(t))
    scraper.stopping.set()
    scraper.join()
    st = server.proc_status()
    alive = server.alive()
    held = len(attack.open)
    row: list[object] = [
        server.name,
        scraper.percent(),
        attack.established,
        held,
        attack.closed,
        len(attack.pending) + attack.refused,
        st["fds"],
        st["nofile"],
        f"{st['threads']} ({peak_threads})",
        st["rss"],
        "yes" if alive else f"no (rc {server.proc.returncode})",
    ]
    attack.release()
    recovered = "-"
    if server.alive():
        start = time.monotonic()
        recovered = "no"
        while time.monotonic() - start < 15:
            if scrape(server.port, 1.0)[0]:
                recovered = f"{time.monotonic() - start:.1f} s"
                break
            time.sleep(0.2)
    emfile = len(re.findall(r"Too many open files|EMFILE|Errno 24", server.log_text()))
    row += [recovered, emfile]
    return row


ATTACK_HEADERS = [
    "server",
    "scrapes ok<=1s",
    "estab",
    "open (client)",
    "closed by srv",
    "never estab",
    "srv fds",
    "srv nofile",
    "threads (peak)",
    "RSS MiB",
    "alive",
    "after release",
    "EMFILE logs",
]


# ------------------------------------------------------------------ methods


def client_hello() -> bytes:
    ctx = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def raw(port: int, data: bytes, timeout: float = 5.0) -> tuple[str, dict[str, str], int]:
    """Send bytes, read until close; (status or what happened, headers, body bytes)."""
    buf = b""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(data)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
    except socket.timeout:
        if not buf:
            return f"no answer in {timeout:.0f} s", {}, 0
    except OSError as e:
        if not buf:
            return type(e).__name__, {}, 0
    if not buf:
        return "closed", {}, 0
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/\d\.\d (\d{3})", lines[0])
    if not m:
        return f"no status line: {buf[:12]!r}", {}, len(body)
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return m.group(1), headers, len(body)


def request(method: str, target: str = "/metrics", extra: str = "") -> bytes:
    return f"{method} {target} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n{extra}\r\n".encode()


def methods(port: int) -> list[object]:
    results: list[tuple[str, dict[str, str], int]] = []
    row: list[object] = []
    head_body = 0
    for m in ("GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "FOO"):
        extra = "Content-Length: 0\r\n" if m in ("POST", "PUT") else ""
        status, headers, body = raw(port, request(m, extra=extra))
        results.append((status, headers, body))
        row.append(status)
        if m == "HEAD":
            head_body = body
    status, headers, body = raw(port, client_hello())
    results.append((status, headers, body))
    row.append(status)
    row.append(head_body)
    allow = [h.get("allow") for s, h, _ in results if s == "405"]
    row.append("n/a (no 405)" if not allow else "yes" if all(allow) else "no")
    for target in ("/../etc/passwd", "/%2e%2e/etc/passwd", "http://example.com/metrics"):
        row.append(raw(port, request("GET", target))[0])
    return row


METHOD_HEADERS = [
    "server",
    "GET",
    "HEAD",
    "POST",
    "PUT",
    "DELETE",
    "TRACE",
    "FOO",
    "TLS hello",
    "HEAD body B",
    "405 Allow",
    "/../etc",
    "/%2e%2e/etc",
    "abs-form",
]


# ------------------------------------------------------------------ load


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def sequential(port: int, count: int) -> list[object]:
    times: list[float] = []
    errors = consecutive = 0
    for _ in range(count):
        ok, took = scrape(port, 5.0)
        if ok:
            times.append(took * 1000)
            consecutive = 0
        else:
            errors += 1
            consecutive += 1
            if consecutive >= 10:
                errors += count - len(times) - errors
                break
    return [
        f"{pct(times, 50):.2f}",
        f"{pct(times, 99):.2f}",
        f"{max(times):.2f}" if times else "-",
        errors,
    ]


def concurrent(port: int, threads: int, seconds: float) -> list[object]:
    lock = threading.Lock()
    times: list[float] = []
    errors = [0]
    end = time.monotonic() + seconds

    def worker() -> None:
        mine: list[float] = []
        bad = 0
        conn = http.client.HTTPConnection(HOST, port, timeout=5)
        while time.monotonic() < end:
            start = time.monotonic()
            try:
                conn.request("GET", "/metrics", headers=SCRAPE_HEADERS)
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    bad += 1
                else:
                    mine.append((time.monotonic() - start) * 1000)
                if r.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=5)
        conn.close()
        with lock:
            times.extend(mine)
            errors[0] += bad

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    start = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - start
    return [f"{len(times) / elapsed:.0f}", f"{pct(times, 50):.2f}", f"{pct(times, 99):.2f}", errors[0]]


# ------------------------------------------------------------------ facts


def requirements(dist: str, seen: set[str]) -> None:
    from importlib import metadata

    try:
        reqs = metadata.requires(dist) or []
    except metadata.PackageNotFoundError:
        return
    for req in reqs:
        name_m = re.match(r"[A-Za-z0-9._-]+", req)
        if not name_m:
            continue
        marker = req.split(";", 1)[1] if ";" in req else ""
        if "extra" in marker:
            continue
        if marker:
            try:
                from packaging.markers import Marker

                if not Marker(marker).evaluate():
                    continue
            except ImportError:
                pass
        name = name_m.group(0).lower().replace("_", "-")
        if name not in seen:
            seen.add(name)
            requirements(name, seen)


def dist_facts(dist: str) -> tuple[str, str]:
    """(version and Requires-Python, pure Python from its WHEEL file)."""
    from importlib import metadata

    try:
        d = metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        return "not installed", "?"
    wheel = d.read_text("WHEEL") or ""
    pure = "yes" if "Root-Is-Purelib: true" in wheel else "no" if wheel else "?"
    return f"{d.version} (Python {d.metadata['Requires-Python'] or 'any'})", pure


def facts(names: list[str], old_tree: Optional[Path], old_name: str) -> list[list[object]]:
    rows: list[list[object]] = []
    for name in names:
        if name in ("ipmpd", old_name):
            tree = old_tree if name == old_name and old_tree is not None else REPO
            src = "".join(
                p.read_text()
                for p in (tree / "ipmpd" / "server.py", tree / "ipmpd" / "daemon.py")
                if p.exists()
            )
            tls = "yes, stdlib ssl ([daemon] tls_cert_file/tls_key_file)" if "ssl" in src else "no"
            rows.append([name, tls, "yes", "none", "stdlib only"])
            continue
        dists = {"cheroot": ["cheroot"], "uvicorn": ["uvicorn", "a2wsgi"], "uvicorn-wsgi": ["uvicorn"]}[name]
        seen: set[str] = set()
        for d in dists:
            seen.add(d)
            requirements(d, seen)
        details = []
        pure = "yes"
        for d in sorted(seen):
            version, p = dist_facts(d)
            details.append(f"{d} {version}")
            if p != "yes":
                pure = f"{p} ({d})"
        tls = {
            "cheroot": "yes, cheroot.ssl.builtin adapter (stdlib ssl); pyOpenSSL adapter optional",
            "uvicorn": "yes, ssl_certfile/ssl_keyfile (stdlib ssl in asyncio)",
            "uvicorn-wsgi": "yes, ssl_certfile/ssl_keyfile (stdlib ssl in asyncio)",
        }[name]
        rows.append([name, tls, pure, ", ".join(sorted(seen)), "; ".join(details)])
    return rows


# ------------------------------------------------------------------ main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--serve", nargs=2, metavar=("NAME", "PORT"), help=argparse.SUPPRESS)
    ap.add_argument("--servers", default="ipmpd,old,cheroot,uvicorn,uvicorn-wsgi")
    ap.add_argument("--old-tree", type=Path, help="another ipmpd tree to run too (e.g. a git worktree)")
    ap.add_argument("--connections", type=int, help="attack connections (1000; --quick: 200)")
    ap.add_argument("--hold", type=float, help="seconds each attack is held (60; --quick: 15)")
    ap.add_argument("--sequential", type=int, help="sequential scrapes (2000; --quick: 300)")
    ap.add_argument("--threads", type=int, default=20, help="keep-alive client threads (20)")
    ap.add_argument("--load-seconds", type=float, help="keep-alive load seconds (10; --quick: 3)")
    ap.add_argument("--quick", action="store_true", help="a short run, to try the program")
    args = ap.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    defaults = (200, 15.0, 300, 3.0) if args.quick else (1000, 60.0, 2000, 10.0)
    for key, value in zip(("connections", "hold", "sequential", "load_seconds"), defaults):
        if getattr(args, key) is None:
            setattr(args, key, value)

    old_name = "old"
    if args.old_tree is not None:
        rev = subprocess.run(
            ["git", "-C", str(args.old_tree), "rev-parse", "--short=7", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        old_name = f"ipmpd-{rev or args.old_tree.name}"
    names = []
    for n in args.servers.split(","):
        if n == "old":
            if args.old_tree is not None:
                names.append(old_name)
        elif n in ("ipmpd", *WSGI_SERVERS):
            names.append(n)
        else:
            raise SystemExit(f"unknown server {n}")

    raise_own_nofile(2 * args.connections + 512)
    print(f"Machine: {machine()}")
    if "ipmpd" in names:
        rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short=7", "HEAD"], capture_output=True)
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "ipmpd"], capture_output=True
        )
        changed = ", ".join(line[3:] for line in dirty.stdout.decode().splitlines()) or "none"
        print(f"ipmpd: working tree at {rev.stdout.decode().strip()}, changed under ipmpd/: {changed}")
    print(
        f"Servers on {HOST}, soft RLIMIT_NOFILE {SERVER_NOFILE} in each; attacks: {args.connections} "
        f"connections held {args.hold:.0f} s; scraper: GET /metrics every 0.2 s, 1 s timeout."
    )
    slow: list[list[object]] = []
    idle: list[list[object]] = []
    meth: list[list[object]] = []
    load: list[list[object]] = []
    notes: list[str] = []

    def fresh(name: str) -> Optional[Server]:
        s = Server(name, args.old_tree)
        if s.wait_ready():
            return s
        notes.append(f"{name}: did not start; its output:\n{s.log_text()[-2000:]}")
        s.stop()
        return None

    for name in names:
        print(f"... {name}", file=sys.stderr, flush=True)
        for label, trickle, rows in (("slowloris", True, slow), ("idle", False, idle)):
            s = fresh(name)
            if s is None:
                break
            try:
                rows.append(run_attack(s, args.connections, args.hold, trickle))
                if not s.alive():
                    notes.append(f"{name} died during {label}; last output:\n{s.log_text()[-2000:]}")
            finally:
                s.stop()
        s = fresh(name)
        if s is None:
            continue
        try:
            meth.append([name, *methods(s.port)])
            seq = sequential(s.port, args.sequential)
            conc = concurrent(s.port, args.threads, args.load_seconds)
            load.append([name, *seq, *conc, s.proc_status()["threads"], s.proc_status()["rss"]])
        finally:
            s.stop()

    print(f"\nSlowloris: {args.connections} connections, one byte of {REQUEST_LINE!r} every 5 s each")
    print(table(ATTACK_HEADERS, slow))
    print(f"\nIdle flood: {args.connections} connections that send nothing")
    print(table(ATTACK_HEADERS, idle))
    print(
        "\n(estab / open / closed by srv / never estab: client view at the end of the hold.  A connection "
        "can be open for the client and unknown\n to the server: on Linux a handshake the kernel completed "
        "(SYN cookies) while the server's accept queue was full is dropped\n server-side without a word.  "
        "srv fds / threads (peak) / RSS: /proc of the server at the end, before release.  after release: "
        "time until\n a scrape is answered within 1 s.  EMFILE logs: lines of the server's output naming "
        "'Too many open files'.)"
    )
    print("\nMethods and targets: status code (or what happened), connection: close")
    print(table(METHOD_HEADERS, meth))
    print(
        f"\nScrape load: {args.sequential} sequential GET /metrics on new connections; "
        f"{args.threads} threads keep-alive for {args.load_seconds:.0f} s"
    )
    print(
        table(
            [
                "server",
                "seq p50 ms",
                "seq p99 ms",
                "seq max ms",
                "seq errors",
                "ka req/s",
                "ka p50 ms",
                "ka p99 ms",
                "ka errors",
                "threads",
                "RSS MiB",
            ],
            load,
        )
    )
    print("\nWhat each brings")
    print(
        table(
            ["server", "TLS", "pure Python", "extra runtime deps", "installed here"],
            facts(names, args.old_tree, old_name),
        )
    )
    print(
        "(installed here: this venv's Python.  On Python 3.9 and 3.10, `pip download --python-version 3.9` "
        "picked uvicorn 0.39.0,\n click 8.1.8, jaraco.functools 4.4.0, more-itertools 10.8.0, and uvicorn "
        "and a2wsgi then also need typing-extensions.)"
    )
    for note in notes:
        print(f"\nNote: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
