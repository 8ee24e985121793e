"""``ipmpd run``: the scheduler jobs, the HTTP server and the signals.

One job gathers and checks every ``interval`` (and once at start); another
refreshes STREAMS module lists every ``modlist_interval``, one interface at
a time.  Each completed cycle swaps one immutable ``Latest``; scrapes only
read it.  Only this module knows about time and threads.

Exit codes follow smf_method(7): 0 on SIGTERM/SIGINT, 96
(SMF_EXIT_ERR_CONFIG) for a bad configuration at start, 95
(SMF_EXIT_ERR_FATAL) for a start failure such as the port being taken.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import gzip
import os
import signal
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterable
from socketserver import ThreadingMixIn
from typing import Any, Callable, Optional
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from ipmpd import web
from ipmpd.capture import CaptureError
from ipmpd.checks import evaluate
from ipmpd.cli import demo_dir, load_config
from ipmpd.config import Config, ConfigError, parse_listen
from ipmpd.exporter import IpmpdCollector
from ipmpd.gather import gather, gather_modules, modlist_targets
from ipmpd.model import Modules
from ipmpd.runner import CaptureRunner, Runner, SubprocessRunner
from ipmpd.sources import module_sources
from ipmpd.state import Latest

SMF_EXIT_OK = 0
SMF_EXIT_ERR_FATAL = 95
SMF_EXIT_ERR_CONFIG = 96
STOP_SECONDS = 5.0

log = structlog.get_logger("ipmpd")


def configure_logging(stream: Any = None) -> None:
    """JSON lines on stderr, which SMF writes to the service's log file."""
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


class Daemon:
    def __init__(self, config: Config, runner: Runner, config_path: Optional[str]) -> None:
        self.config = config
        self.runner = runner
        self.config_path = config_path
        self.latest = Latest(
            started_at=time.time(),
            config_reload_at=time.time(),
            config_path=config_path,
            interval=config.daemon.interval,
            modlist_interval=config.daemon.modlist_interval,
        )
        self.modules: Optional[Modules] = None
        self._cycle_lock = threading.Lock()
        self._swap_lock = threading.Lock()
        self.scheduler = BackgroundScheduler(timezone=datetime.timezone.utc)
        self.stopping = threading.Event()
        self.reload_requested = threading.Event()

    # ---------------------------------------------------------------- state

    def _swap(self, **changes: Any) -> None:
        with self._swap_lock:
            self.latest = dataclasses.replace(self.latest, **changes)

    def get_latest(self) -> Latest:
        return self.latest

    # ---------------------------------------------------------------- jobs

    def cycle(self) -> None:
        """Gather, check, swap ``latest``, log what changed.  Never raises."""
        if self.stopping.is_set():
            return
        with self._cycle_lock:
            start = time.monotonic()
            try:
                config = self.config
                snap = gather(self.runner, modules=self.modules, timeout=config.daemon.command_timeout)
                results = evaluate(snap, config)
            except Exception:
                log.exception("gather.crashed")
                self._swap(last_gather=time.time())
                return
            duration = time.monotonic() - start
            previous = self.latest
            now = time.time()
            success = snap.source_ok("ifconfig") is True
            self._swap(
                snapshot=snap,
                results=results,
                last_gather=now,
                last_success=now if success else previous.last_success,
                gather_duration=duration,
                modules_taken_at=snap.modules_taken_at,  # a replay's recorded lists count
            )
            self._log_changes(previous, self.latest)
            log.info(
                "gather.completed",
                duration_seconds=round(duration, 4),
                groups=len(snap.groups),
                findings=len(self.latest.findings),
                sources_failed=sorted({s.name for s in snap.sources if not s.ok}),
            )

    def _log_changes(self, before: Latest, after: Latest) -> None:
        def failing(latest: Latest) -> dict[str, str]:
            if latest.snapshot is None:
                return {}
            return {s.name: s.error or "" for s in latest.snapshot.sources if not s.ok}

        old, new = failing(before), failing(after)
        for name in sorted(set(new) - set(old)):
            log.warning("source.failed", source=name, error=new[name])
        for name in sorted(set(old) - set(new)):
            log.info("source.recovered", source=name)

        def keyed(latest: Latest) -> dict[tuple[str, str, tuple[str, ...]], Any]:
            return {(f.group, f.code, f.interfaces): f for f in latest.findings}

        was, now = keyed(before), keyed(after)
        for key in sorted(set(now) - set(was)):
            f = now[key]
            log.warning(
                "finding.opened",
                group=f.group,
                check=f.name,
                code=f.code,
                severity=f.severity,
                interfaces=list(f.interfaces),
                message=f.message,
            )
        for key in sorted(set(was) - set(now)):
            f = was[key]
            log.info(
                "finding.resolved", group=f.group, check=f.name, code=f.code, interfaces=list(f.interfaces)
            )

    def modlist(self) -> None:
        """Refresh STREAMS module lists of physical group members.  Never raises."""
        if self.stopping.is_set():
            return
        try:
            snap = self.latest.snapshot
            if snap is None:
                self.cycle()
                snap = self.latest.snapshot
            # configured members too, where they are plumbed (a missing one is IPMP011's to report)
            configured = (i for gc in self.config.groups for i in gc.interfaces if snap and snap.interface(i))
            names = modlist_targets(snap.groups if snap else (), configured)
            start = time.monotonic()
            self.modules = gather_modules(self.runner, names, self.config.daemon.command_timeout)
            duration = time.monotonic() - start
            self._swap(modlist_duration=duration)
            log.info(
                "modlist.completed",
                interfaces=len(names),
                failed=sorted(s.argv[1] for s in self.modules.sources if not s.ok and s.argv),
                duration_seconds=round(duration, 4),
            )
        except Exception:
            log.exception("modlist.crashed")
            return
        # Use the fresh lists now rather than at the next interval.
        self.cycle()

    def schedule(self) -> None:
        d = self.config.daemon
        now = datetime.datetime.now(datetime.timezone.utc)
        self.scheduler.add_job(
            self.cycle,
            "interval",
            id="gather",
            seconds=d.interval,
            next_run_time=now,
            max_instances=1,
            coalesce=True,
            jitter=min(5.0, d.interval / 10),
            misfire_grace_time=max(1, int(d.interval)),
            replace_existing=True,
        )
        if d.modlist_interval > 0:
            self.scheduler.add_job(
                self.modlist,
                "interval",
                id="modlist",
                seconds=d.modlist_interval,
                next_run_time=now + datetime.timedelta(seconds=0.5),
                max_instances=1,
                coalesce=True,
                jitter=min(30.0, d.modlist_interval / 10),
                misfire_grace_time=max(1, int(d.modlist_interval)),
                replace_existing=True,
            )
        elif self.scheduler.get_job("modlist") is not None:
            self.scheduler.remove_job("modlist")
            self.modules = None

    # ---------------------------------------------------------------- reload

    def reload(self) -> None:
        path = self.config_path
        try:
            new = load_config(path)
        except ConfigError as e:
            log.error("config.rejected", path=e.path, problems=e.problems)
            self._swap(config_reload_success=False, config_reload_at=time.time())
            return
        except Exception as e:  # an unreadable file must not stop the daemon
            log.error("config.rejected", path=path, problems=[str(e)])
            self._swap(config_reload_success=False, config_reload_at=time.time())
            return
        old = self.config
        self.config = new
        if isinstance(self.runner, SubprocessRunner):
            self.runner.path = new.daemon.path
            self.runner.root = new.daemon.root
        if (old.daemon.interval, old.daemon.modlist_interval) != (
            new.daemon.interval,
            new.daemon.modlist_interval,
        ):
            self.schedule()
        restart = [
            k
            for k in ("listen", "tls_cert_file", "tls_key_file")
            if getattr(old.daemon, k) != getattr(new.daemon, k)
        ]
        self._swap(
            config_reload_success=True,
            config_reload_at=time.time(),
            interval=new.daemon.interval,
            modlist_interval=new.daemon.modlist_interval,
        )
        log.info("config.reloaded", path=path, needs_restart=restart)
        if self.scheduler.get_job("gather") is not None:
            self.scheduler.modify_job("gather", next_run_time=datetime.datetime.now(datetime.timezone.utc))

    # ---------------------------------------------------------------- HTTP

    def wsgi_app(self) -> Callable[..., Iterable[bytes]]:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(IpmpdCollector(self.get_latest))
        # The collector builds fresh families from ``latest``; since ``latest``
        # is immutable, the exposition is rendered once per cycle and reused
        # by every scrape until the next swap (and gzipped once, for clients
        # that ask for it).
        cache: dict[str, Any] = {"latest": None}
        cache_lock = threading.Lock()

        def exposition() -> tuple[bytes, bytes]:
            latest = self.latest
            with cache_lock:
                if cache["latest"] is not latest:
                    body = generate_latest(registry)
                    cache.update(latest=latest, body=body, gz=gzip.compress(body, compresslevel=5))
                return cache["body"], cache["gz"]

        def metrics(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            body, gz = exposition()
            headers = [("Content-Type", CONTENT_TYPE_LATEST)]
            if "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
                body = gz
                headers.append(("Content-Encoding", "gzip"))
            headers.append(("Content-Length", str(len(body))))
            start_response("200 OK", headers)
            return [body]

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            path = environ.get("PATH_INFO", "/")
            if path == "/metrics":
                return metrics(environ, start_response)
            if path == "/":
                body = web.page(self.get_latest()).encode("utf-8")
                start_response(
                    "200 OK",
                    [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
                )
                return [body]
            body = b"not found; see /metrics or /\n"
            start_response(
                "404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
            )
            return [body]

        return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    tls: Optional[ssl.SSLContext] = None

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs here, in the request's own thread, so a slow
        # or plain-HTTP client cannot stall the accept loop.
        if self.tls is not None:
            try:
                request.settimeout(10)
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as e:
                log.debug("http.tls_failed", client=str(client_address[0]), error=str(e))
                return
        super().finish_request(request, client_address)


def make_http_server(daemon: Daemon) -> _Server:
    host, port = parse_listen(daemon.config.daemon.listen)
    server_class = _Server
    if ":" in host:

        class _Server6(_Server):
            address_family = socket.AF_INET6

        server_class = _Server6
    server = make_server(
        host, port, daemon.wsgi_app(), server_class=server_class, handler_class=_QuietHandler
    )
    d = daemon.config.daemon
    if d.tls_cert_file and d.tls_key_file:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(d.tls_cert_file, d.tls_key_file)
        server.tls = ctx
    return server


def main(args: argparse.Namespace) -> int:
    configure_logging()
    try:
        config = load_config(args.config)
        if args.listen:
            parse_listen(args.listen)
            config = dataclasses.replace(
                config, daemon=dataclasses.replace(config.daemon, listen=args.listen)
            )
    except ConfigError as e:
        print(f"ipmpd: configuration error:\n{e}", file=sys.stderr)
        return SMF_EXIT_ERR_CONFIG
    except ValueError as e:
        print(f"ipmpd: --listen: {e}", file=sys.stderr)
        return SMF_EXIT_ERR_CONFIG
    try:
        runner: Runner
        if args.demo:
            runner = CaptureRunner(demo_dir())
        elif args.capture:
            runner = CaptureRunner(args.capture)
        else:
            runner = SubprocessRunner(config.daemon.path, root=config.daemon.root)
    except CaptureError as e:
        print(f"ipmpd: {e}", file=sys.stderr)
        return SMF_EXIT_ERR_CONFIG
    daemon = Daemon(config, runner, args.config)
    try:
        server = make_http_server(daemon)
    except (OSError, ssl.SSLError) as e:
        print(f"ipmpd: cannot listen on {config.daemon.listen}: {e}", file=sys.stderr)
        return SMF_EXIT_ERR_FATAL

    def on_hup(signum: int, frame: Any) -> None:
        daemon.reload_requested.set()

    def on_stop(signum: int, frame: Any) -> None:
        daemon.stopping.set()

    signal.signal(signal.SIGHUP, on_hup)
    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)

    http = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True)
    http.start()
    daemon.schedule()
    daemon.scheduler.start()
    host, port = str(server.server_address[0]), int(server.server_address[1])
    scheme = "https" if server.tls else "http"
    log.info(
        "daemon.started",
        listen=f"{host}:{port}",
        metrics=f"{scheme}://{host}:{port}/metrics",
        pid=os.getpid(),
    )
    log.info(
        "modules.sources",
        modlist_interval_seconds=config.daemon.modlist_interval,
        sources=module_sources(config.daemon.modlist_interval > 0, runner.live),
    )
    print(f"ipmpd: serving {scheme}://{host}:{port}/metrics and {scheme}://{host}:{port}/", file=sys.stderr)
    while not daemon.stopping.wait(0.2):
        if daemon.reload_requested.is_set():
            # Many SIGHUPs in a burst coalesce into one reload.
            daemon.reload_requested.clear()
            daemon.reload()
    log.info("daemon.stopping")
    runner.close()
    daemon.scheduler.shutdown(wait=False)
    stopper = threading.Thread(target=server.shutdown, daemon=True)
    stopper.start()
    stopper.join(STOP_SECONDS / 2)
    server.server_close()
    log.info("daemon.stopped")
    return SMF_EXIT_OK
