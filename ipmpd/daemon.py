"""``ipmpd run``: the scheduler jobs and the signals, around one HTTP front.

One job gathers and checks every ``interval`` (and once at start); another
refreshes STREAMS module lists every ``modlist_interval``, one interface at
a time.  Each completed cycle swaps one immutable ``Latest``; scrapes only
read it.  Only this module knows about time and threads; the HTTP front
(:mod:`ipmpd.server`) only serves what :meth:`Daemon.wsgi_app` renders.

Exit codes follow smf_method(7): 0 on SIGTERM/SIGINT, 96
(SMF_EXIT_ERR_CONFIG) for a bad configuration at start, 95
(SMF_EXIT_ERR_FATAL) for a start failure such as the port being taken.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import gc
import gzip
import logging
import os
import signal
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterable
from typing import Any, Callable, Optional

import structlog
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from ipmpd import server, web
from ipmpd.capture import CaptureError
from ipmpd.checks import evaluate
from ipmpd.config import Config, ConfigError, TargetConfig, parse_listen
from ipmpd.exporter import IpmpdCollector
from ipmpd.model import Modules
from ipmpd.render import replayed
from ipmpd.runner import CaptureRunner, Runner, SubprocessRunner
from ipmpd.settings import SMF_EXIT_ERR_CONFIG, SMF_EXIT_ERR_FATAL, SMF_EXIT_OK, demo_dir, load_config
from ipmpd.sources import module_sources
from ipmpd.ssh import SshRunner
from ipmpd.state import Latest
from ipmpd.target import LOCAL, Target
from ipmpd.tls import tls_context

STOP_SECONDS = 5.0  # SIGTERM to exit, whatever a gather is stuck in
TARGETS_EXECUTOR = "targets"  # a pool of [daemon] target_concurrency threads for SSH targets
# Descriptors kept from the HTTP front for everything else: the local
# gather's pipes, the log, and per concurrent SSH target its ssh processes.
GATHER_RESERVE = 64
TARGET_RESERVE = 8

log = structlog.get_logger("ipmpd")

# APScheduler's own sentences for these two are replaced by job.skipped and
# job.missed events (see Daemon._job_event).
_REPLACED = ("Execution of job", "Run time of job")


class _ToStructlog(logging.Handler):
    """The standard library's log records (APScheduler's among them) as the
    same JSON lines as everything else."""

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, str) and record.msg.startswith(_REPLACED):
            return
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        fields: dict[str, Any] = {"logger": record.name, "message": message}
        if record.exc_info:
            fields["exc_info"] = record.exc_info
        method = {logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warning"}.get(
            record.levelno, "error"
        )
        getattr(structlog.get_logger("ipmpd"), method)("library.log", **fields)


def configure_logging(stream: Any = None) -> None:
    """JSON lines on stderr, which SMF writes to the service's log file; the
    standard library's logging goes the same way."""
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
    root = logging.getLogger()
    for h in list(root.handlers):
        if isinstance(h, _ToStructlog):
            root.removeHandler(h)
    handler = _ToStructlog()
    handler.setLevel(logging.WARNING)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def _malloc_trim() -> Optional[Callable[[int], int]]:
    """glibc's malloc_trim(3), where the C library has it (Linux with glibc;
    not Solaris or illumos, whose malloc keeps no per-thread arenas)."""
    try:
        import ctypes

        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, ImportError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


MALLOC_TRIM = _malloc_trim()


# Cycles end more often than memory needs releasing: with many targets,
# one release every this many seconds, whichever thread's cycle ends.
RELEASE_SECONDS = 10.0


def release_memory() -> None:
    """Give back what cycles freed (docs/benchmarks.md, "Soak").

    A full collection empties CPython's free lists: a tuple built from a
    generator is allocated at one size and freed to the free list of
    another, so without it those lists fill by over a kilobyte per gather
    up to 2,000 tuples of each size 1 to 20 (+2 % of RSS over ten minutes
    in the soak), and the oldest generation, which a full collection also
    sweeps, is otherwise seldom collected.  main() freezes what start-up
    built (freeze_start_up), so the collection only walks what the daemon allocated since
    (about 0.3 ms on the demo host).  Then glibc's malloc_trim hands the
    freed arenas back, where there is one (about 0.7 MiB of RSS)."""
    gc.collect()
    if MALLOC_TRIM is not None:
        MALLOC_TRIM(0)


def freeze_start_up() -> None:
    """Keep what start-up built (modules above all) out of the collections
    release_memory() runs: it stays for the life of the process.  The
    configuration and runner are frozen too; a reload drops them and,
    having no reference cycles, they are freed all the same."""
    gc.collect()
    gc.freeze()


def with_overrides(config: Config, overrides: dict[str, Any]) -> Config:
    """The configuration with the command line's ``--listen`` (and the like) applied."""
    if not overrides:
        return config
    return dataclasses.replace(config, daemon=dataclasses.replace(config.daemon, **overrides))


def _connection(t: Optional[TargetConfig], config: Config) -> Optional[tuple[Any, ...]]:
    """What an SSH runner is built from: a change means a new runner."""
    if t is None:
        return None
    d = config.daemon
    conn = dataclasses.replace(t, groups=(), modlist_interval=0.0)
    return (conn, d.target_timeout, d.command_timeout)


class Daemon:
    """The local host and every [[target]], each a :class:`Target` with its own
    runner, schedule and last result; one HTTP front for all of them."""

    def __init__(
        self,
        config: Config,
        runner: Runner,
        config_path: Optional[str],
        overrides: Optional[dict[str, Any]] = None,
    ) -> None:
        # what the command line set over the file (``--listen``): kept on reload
        self.overrides = dict(overrides or {})
        self.config = config
        self.config_path = config_path
        now = time.time()
        # The local host: its ``latest`` also carries the daemon's own state
        # (start, reloads), served on /metrics even when it is not gathered.
        self.home = Target(
            LOCAL,
            runner,
            config,
            config.daemon.interval,
            config.daemon.modlist_interval,
            Latest(
                # "never read its host" (IpmpdDataStale) means nothing when
                # no local host is gathered ([daemon] local = false)
                started_at=now if config.daemon.local else None,
                config_reload_at=now,
                config_path=config_path,
                interval=config.daemon.interval,
                modlist_interval=config.daemon.modlist_interval,
            ),
        )
        self.targets: dict[str, Target] = {t.name: self._remote(config, t) for t in config.targets}
        self._cycle_lock = threading.Lock()
        self._swap_lock = threading.Lock()
        self._target_locks: dict[str, threading.Lock] = {}
        self.scheduler = BackgroundScheduler(
            timezone=datetime.timezone.utc,
            executors={
                # one thread for the local jobs: gather and modlist share the cycle lock anyway
                "default": ThreadPoolExecutor(1),
                TARGETS_EXECUTOR: ThreadPoolExecutor(config.daemon.target_concurrency),
            },
        )
        self.scheduler.add_listener(self._job_event, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
        self.stopping = threading.Event()
        self.reloads = 0  # reloads done: SIGHUPs in a burst count once
        self._release_lock = threading.Lock()
        self._released_at = -RELEASE_SECONDS  # the first cycle releases

    def _job_event(self, event: Any) -> None:
        if self.stopping.is_set():
            return  # runs the stop cut short are not news
        if event.code == EVENT_JOB_MAX_INSTANCES:
            # the previous run of the job is still going: this one is not started
            log.warning("job.skipped", job=event.job_id, reason="the previous run is still going")
        else:
            when = getattr(event, "scheduled_run_time", None)
            log.warning("job.missed", job=event.job_id, scheduled=str(when) if when else None)

    @staticmethod
    def _remote(config: Config, t: TargetConfig) -> Target:
        d = config.daemon
        ssh = SshRunner.from_config(t, d)
        latest = Latest(interval=d.interval, modlist_interval=t.modlist_interval)
        return Target(t.name, ssh, config.for_target(t.name), d.interval, t.modlist_interval, latest)

    # ---------------------------------------------------------------- state

    @property
    def latest(self) -> Latest:
        return self.home.latest

    @property
    def runner(self) -> Runner:
        runner = self.home.runner
        assert not isinstance(runner, SshRunner)
        return runner

    @property
    def modules(self) -> Optional[Modules]:
        return self.home.modules

    @property
    def gathers_local(self) -> bool:
        return self.config.daemon.local

    def _swap(self, target: Optional[Target] = None, **changes: Any) -> None:
        t = target or self.home
        with self._swap_lock:
            t.latest = dataclasses.replace(t.latest, **changes)

    def get_latest(self) -> Latest:
        return self.home.latest

    def _lock(self, name: str) -> threading.Lock:
        if name == LOCAL:
            return self._cycle_lock
        with self._swap_lock:
            return self._target_locks.setdefault(name, threading.Lock())

    # ---------------------------------------------------------------- jobs

    def cycle(self) -> None:
        """Gather and check the local host, swap its ``latest``, log what changed.  Never raises."""
        if self.stopping.is_set() or not self.gathers_local:
            return
        self._cycle(self.home, self.config.daemon.command_timeout)

    def cycle_target(self, name: str) -> None:
        """Gather and check one [[target]] over SSH.  Never raises."""
        t = self.targets.get(name)
        if t is None or self.stopping.is_set():
            return
        self._cycle(t, self.config.daemon.target_timeout)

    def _cycle(self, t: Target, timeout: float) -> None:
        with self._lock(t.name):
            self._gather_and_swap(t, timeout)
        now = time.monotonic()
        with self._release_lock:
            due = now - self._released_at >= RELEASE_SECONDS
            if due:
                self._released_at = now
        if due:
            release_memory()

    def _gather_and_swap(self, t: Target, timeout: float) -> None:
        """One cycle of ``t``, under its lock."""
        start = time.monotonic()
        try:
            snap = t.gather(timeout)
            results = evaluate(snap, t.config)
        except Exception:
            log.exception("gather.crashed", target=t.name)
            self._swap(t, last_gather=time.time())
            return
        duration = time.monotonic() - start
        if self.stopping.is_set():
            return  # its commands were killed by the stop: not a result
        previous = t.latest
        now = time.time()
        success = snap.source_ok("ifconfig") is True
        self._swap(
            t,
            snapshot=snap,
            results=results,
            last_gather=now,
            last_success=now if success else previous.last_success,
            gather_duration=duration,
            modules_taken_at=snap.modules_taken_at,  # a replay's recorded lists count
            single_groups=frozenset(g.name for g in t.config.groups if g.allow_single),
        )
        self._log_changes(t.name, previous, t.latest)
        fields: dict[str, Any] = {}
        if t.probe_error:
            fields["error"] = t.probe_error
        log.info(
            "gather.completed",
            target=t.name,
            duration_seconds=round(duration, 4),
            groups=len(snap.groups),
            findings=len(t.latest.findings),
            sources_failed=sorted({s.name for s in snap.sources if not s.ok}),
            **fields,
        )

    def _log_changes(self, target: str, before: Latest, after: Latest) -> None:
        def failing(latest: Latest) -> dict[str, str]:
            if latest.snapshot is None:
                return {}
            return {s.name: s.error or "" for s in latest.snapshot.sources if not s.ok}

        old, new = failing(before), failing(after)
        for name in sorted(set(new) - set(old)):
            log.warning("source.failed", target=target, source=name, error=new[name])
        for name in sorted(set(old) - set(new)):
            log.info("source.recovered", target=target, source=name)

        def keyed(latest: Latest) -> dict[tuple[str, str, tuple[str, ...]], Any]:
            return {(f.group, f.code, f.interfaces): f for f in latest.findings}

        was, now = keyed(before), keyed(after)
        for key in sorted(set(now) - set(was)):
            f = now[key]
            log.warning(
                "finding.opened",
                target=target,
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
                "finding.resolved",
                target=target,
                group=f.group,
                check=f.name,
                code=f.code,
                interfaces=list(f.interfaces),
            )

    def modlist(self) -> None:
        """Refresh the local host's STREAMS module lists of physical group members.  Never raises."""
        if self.stopping.is_set() or not self.gathers_local:
            return
        try:
            if self.latest.snapshot is None:
                self.cycle()
            start = time.monotonic()
            with self._cycle_lock:  # a reload retires a runner only between uses
                mods = self.home.refresh_modules(self.config.daemon.command_timeout)
            duration = time.monotonic() - start
            if self.stopping.is_set():
                return
            self._swap(modlist_duration=duration)
            log.info(
                "modlist.completed",
                target=LOCAL,
                interfaces=len(mods.by_interface),
                failed=sorted(s.argv[1] for s in (mods.sources if mods else ()) if not s.ok and s.argv),
                duration_seconds=round(duration, 4),
            )
        except Exception:
            log.exception("modlist.crashed", target=LOCAL)
            return
        # Use the fresh lists now rather than at the next interval.
        self.cycle()

    def schedule(self) -> None:
        d = self.config.daemon
        now = datetime.datetime.now(datetime.timezone.utc)
        common: dict[str, Any] = {"max_instances": 1, "coalesce": True, "replace_existing": True}
        if d.local:
            self.scheduler.add_job(
                self.cycle,
                "interval",
                id="gather",
                seconds=d.interval,
                next_run_time=now,
                jitter=min(5.0, d.interval / 10),
                misfire_grace_time=max(1, int(d.interval)),
                **common,
            )
        elif self.scheduler.get_job("gather") is not None:
            self.scheduler.remove_job("gather")
        if d.local and d.modlist_interval > 0:
            self.scheduler.add_job(
                self.modlist,
                "interval",
                id="modlist",
                seconds=d.modlist_interval,
                next_run_time=now + datetime.timedelta(seconds=0.5),
                jitter=min(30.0, d.modlist_interval / 10),
                misfire_grace_time=max(1, int(d.modlist_interval)),
                **common,
            )
        elif self.scheduler.get_job("modlist") is not None:
            self.scheduler.remove_job("modlist")
            with self._cycle_lock:
                self.home.modules = None
        for name in self.targets:
            self._schedule_target(name, now)

    def _schedule_target(self, name: str, first: datetime.datetime) -> None:
        d = self.config.daemon
        self.scheduler.add_job(
            self.cycle_target,
            "interval",
            args=(name,),
            id=f"target:{name}",
            executor=TARGETS_EXECUTOR,
            seconds=d.interval,
            next_run_time=first,
            jitter=min(5.0, d.interval / 10),
            misfire_grace_time=max(1, int(d.interval)),
            max_instances=1,
            coalesce=True,
            replace_existing=True,
        )

    # ---------------------------------------------------------------- reload

    def _retire(self, name: str, runner: Any) -> None:
        """Close a replaced runner once the cycle using it, if any, is over."""

        def retire() -> None:
            with self._lock(name):
                runner.close()

        threading.Thread(target=retire, daemon=True).start()

    def reload(self) -> None:
        path = self.config_path
        self.reloads += 1
        try:
            new = with_overrides(load_config(path), self.overrides)
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
        home = self.home
        if isinstance(home.runner, SubprocessRunner):
            # A new runner for the new path and root; the old one is closed
            # once a cycle using it ends (modlists it left running carry over).
            fresh = SubprocessRunner(new.daemon.path, root=new.daemon.root)
            old_runner = home.runner
            fresh.adopt(old_runner)
            home.runner = fresh
            self._retire(LOCAL, old_runner)
        home.config = new
        home.interval, home.modlist_interval = new.daemon.interval, new.daemon.modlist_interval
        now = datetime.datetime.now(datetime.timezone.utc)
        before = {t.name: t for t in old.targets}
        after = {t.name: t for t in new.targets}
        for name in sorted(set(before) | set(after)):
            t = self.targets.get(name)
            if name not in after:
                if self.scheduler.get_job(f"target:{name}") is not None:
                    self.scheduler.remove_job(f"target:{name}")
                if t is not None:
                    self._retire(name, t.runner)
                    del self.targets[name]
                continue
            if t is not None and _connection(before.get(name), old) == _connection(after[name], new):
                # the same host the same way: keep its runner (and its master)
                t.config = new.for_target(name)
                t.interval, t.modlist_interval = new.daemon.interval, after[name].modlist_interval
                if old.daemon.interval != new.daemon.interval:
                    self._schedule_target(name, now)
                continue
            fresh_target = self._remote(new, after[name])
            if t is not None:
                fresh_target.carry_over(t)  # last result, module lists, a modlist still running
                self._retire(name, t.runner)
            self.targets[name] = fresh_target
            if self.scheduler.running or self.scheduler.get_job(f"target:{name}") is not None:
                self._schedule_target(name, now)
        if (old.daemon.interval, old.daemon.modlist_interval, old.daemon.local) != (
            new.daemon.interval,
            new.daemon.modlist_interval,
            new.daemon.local,
        ):
            self.schedule()
        restart = [
            k
            for k in ("listen", "tls_cert_file", "tls_key_file", "target_concurrency")
            if getattr(old.daemon, k) != getattr(new.daemon, k)
        ]
        started = self.latest.started_at
        if new.daemon.local != old.daemon.local:
            started = time.time() if new.daemon.local else None
        self._swap(
            started_at=started,
            config_reload_success=True,
            config_reload_at=time.time(),
            interval=new.daemon.interval,
            modlist_interval=new.daemon.modlist_interval,
        )
        log.info("config.reloaded", path=path, needs_restart=restart, targets=sorted(self.targets))
        if self.scheduler.get_job("gather") is not None:
            self.scheduler.modify_job("gather", next_run_time=datetime.datetime.now(datetime.timezone.utc))

    def target_views(self) -> list[web.TargetView]:
        """What the landing page shows of each [[target]]."""
        return [self.target_view(t) for _, t in sorted(self.targets.items())]

    @staticmethod
    def target_view(t: Target) -> web.TargetView:
        assert isinstance(t.runner, SshRunner)
        cfg = t.runner.target
        return web.TargetView(
            t.name, f"{cfg.user}@{cfg.host}:{cfg.port}", t.latest, t.probe_success, t.probe_error
        )

    def close(self) -> None:
        """Stop every runner: local commands are killed (a modlist is left to
        finish), SSH masters are ended."""
        runners = [self.home.runner] + [t.runner for t in self.targets.values()]
        for r in runners:
            try:
                r.close()
            except Exception:
                log.exception("runner.close_failed")

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

        probes: dict[str, tuple[Any, bytes]] = {}

        def probe(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            names = query.get("target", [])
            if len(names) != 1 or not names[0]:
                return plain(start_response, "400 Bad Request", "give one target: /probe?target=NAME\n")
            # Only ever matched against the configured list: never a host to reach.
            t = self.targets.get(names[0])
            if t is None:
                return plain(start_response, "404 Not Found", "no such target in the configuration\n")
            key = (t.latest, t.probe_success, t.probe_duration)
            with cache_lock:
                held = probes.get(t.name)
                if held is None or held[0] != key:
                    reg = CollectorRegistry(auto_describe=False)
                    reg.register(
                        IpmpdCollector(lambda: t.latest, lambda: (t.probe_success, t.probe_duration))
                    )
                    held = (key, generate_latest(reg))
                    probes[t.name] = held
                body = held[1]
            headers = [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(body)))]
            start_response("200 OK", headers)
            return [body]

        def plain(start_response: Callable[..., Any], status: str, text: str) -> Iterable[bytes]:
            body = text.encode("utf-8")
            start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
            return [body]

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            path = environ.get("PATH_INFO", "/")
            if path == "/metrics":
                return metrics(environ, start_response)
            if path == "/probe":
                return probe(environ, start_response)
            if path == "/":
                query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
                if "target" in query:
                    # One target's page: what an alert about it links to.
                    names = query["target"]
                    t = self.targets.get(names[0]) if len(names) == 1 else None
                    if t is None:
                        return plain(start_response, "404 Not Found", "no such target in the configuration\n")
                    html_page = web.target_page(self.target_view(t))
                else:
                    html_page = web.page(
                        self.get_latest(),
                        self.target_views(),
                        local=self.gathers_local,
                        replay=replayed(self.home.runner),
                    )
                body = html_page.encode("utf-8")
                start_response(
                    "200 OK",
                    [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
                )
                return [body]
            body = b"not found; see /metrics, /probe?target=NAME or /\n"
            start_response(
                "404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
            )
            return [body]

        return app


def make_front(daemon: Daemon, max_connections: int) -> server.HttpFront:
    """The HTTP front on ``[daemon] listen``, with TLS when configured; raises
    OSError when it cannot listen.  The certificate and key are checked at
    start (:func:`tls_context`), so a problem here is the socket's."""
    d = daemon.config.daemon
    host, port = parse_listen(d.listen)
    limits = server.Limits(max_connections=max_connections)
    return server.HttpFront(daemon.wsgi_app(), host, port, tls_context(daemon.config), limits)


def _start_error(event: str, code: int, message: str, **fields: Any) -> int:
    """One JSON event on stderr, plus the plain message for a person at a terminal."""
    log.error(event, message=message, **fields)
    if sys.stderr.isatty():
        print(f"ipmpd: {message}", file=sys.stderr)
    return code


def _exit_now(code: int) -> None:
    """Leave at once: a worker thread stuck in a read must not hold the exit."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def main(args: argparse.Namespace) -> int:
    configure_logging()
    overrides: dict[str, Any] = {}
    try:
        if args.listen:
            try:
                parse_listen(args.listen)
            except ValueError as e:
                return _start_error("config.rejected", SMF_EXIT_ERR_CONFIG, f"--listen: {e}", path="--listen")
            overrides["listen"] = args.listen
        config = with_overrides(load_config(args.config), overrides)
        tls = tls_context(config)
    except ConfigError as e:
        return _start_error(
            "config.rejected",
            SMF_EXIT_ERR_CONFIG,
            f"configuration error:\n{e}",
            path=e.path,
            problems=e.problems,
        )
    try:
        runner: Runner
        if args.demo:
            runner = CaptureRunner(demo_dir())
        elif args.capture:
            runner = CaptureRunner(args.capture)
        else:
            runner = SubprocessRunner(config.daemon.path, root=config.daemon.root)
    except CaptureError as e:
        return _start_error("capture.rejected", SMF_EXIT_ERR_CONFIG, str(e))
    before, soft, hard = server.raise_nofile()
    reserve = GATHER_RESERVE + TARGET_RESERVE * (config.daemon.target_concurrency if config.targets else 0)
    max_connections = server.connection_limit(soft, reserve)
    freeze_start_up()
    daemon = Daemon(config, runner, args.config, overrides)
    try:
        front = make_front(daemon, max_connections)
    except OSError as e:
        return _start_error(
            "daemon.cannot_listen",
            SMF_EXIT_ERR_FATAL,
            f"cannot listen on {config.daemon.listen}: {e.strerror or e}",
            listen=config.daemon.listen,
        )

    # Python runs these in this thread between two bytecodes, so they only
    # set flags: an Event's set() takes a lock, and a signal landing while
    # this thread held that same lock (in clear() or wait()) would hang the
    # loop for good, SIGTERM included (python/cpython#126434 is the same trap
    # in multiprocessing.Event).  A burst of 100 SIGHUPs hit it.
    caught = {"hup": False, "stop": False}

    def on_hup(signum: int, frame: Any) -> None:
        caught["hup"] = True

    def on_stop(signum: int, frame: Any) -> None:
        caught["stop"] = True

    signal.signal(signal.SIGHUP, on_hup)
    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)

    http = threading.Thread(target=front.serve_forever, name="http", daemon=True)
    http.start()
    daemon.schedule()
    daemon.scheduler.start()
    host, port = str(front.server_address[0]), int(front.server_address[1])
    scheme = "https" if tls else "http"
    log.info(
        "daemon.started",
        listen=f"{host}:{port}",
        metrics=f"{scheme}://{host}:{port}/metrics",
        page=f"{scheme}://{host}:{port}/",
        pid=os.getpid(),
        local=config.daemon.local,
        targets=sorted(daemon.targets),
        nofile_soft_at_start=before,
        nofile_soft=soft,
        nofile_hard=hard,
        max_connections=max_connections,
    )
    log.info(
        "modules.sources",
        modlist_interval_seconds=config.daemon.modlist_interval,
        sources=module_sources(config.daemon.modlist_interval > 0, runner.live),
    )
    while not caught["stop"]:
        time.sleep(0.2)
        if caught["hup"] and not caught["stop"]:
            # Many SIGHUPs in a burst coalesce into one reload; one landing
            # once the flag is down is covered too: reload() reads the file after.
            caught["hup"] = False
            daemon.reload()
    daemon.stopping.set()
    deadline = time.monotonic() + STOP_SECONDS - 0.5
    log.info("daemon.stopping")
    daemon.close()
    daemon.scheduler.shutdown(wait=False)
    front.shutdown(timeout=1.0)
    front.server_close()
    for argv in daemon.runner.still_running():
        log.warning("modlist.left_running", interface=argv[1] if len(argv) > 1 else None, argv=list(argv))
    stuck = [t for t in threading.enumerate() if t is not threading.current_thread() and not t.daemon]
    for t in stuck:
        t.join(max(0.0, deadline - time.monotonic()))
    abandoned = [t.name for t in stuck if t.is_alive()]
    log.info("daemon.stopped", abandoned_threads=abandoned)
    if abandoned:
        _exit_now(SMF_EXIT_OK)
    return SMF_EXIT_OK
