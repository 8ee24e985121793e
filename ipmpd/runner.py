"""The one seam between ipmpd and a host: running commands and reading files.

``SubprocessRunner`` talks to the local host; ``CaptureRunner`` replays a
:class:`~ipmpd.capture.Capture` (a directory, a stream, or one just read over
SSH); ``RecordingRunner`` wraps another runner and keeps what it saw as a
capture.  Only this module and :mod:`ipmpd.ssh` start processes.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import os
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Callable, Optional, Protocol, Union

from ipmpd import capture as capture_mod
from ipmpd.capture import Capture, NotRecorded, Recorded

DEFAULT_PATH = "/usr/sbin:/usr/bin"
DEFAULT_TIMEOUT = 10.0
OUTPUT_CAP = 16 * 1024 * 1024
SHIELDED = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    stdout: str
    stderr: str
    exit_status: Optional[int]  # None when it never exited on its own (timeout)
    duration: float
    error: Optional[str] = None  # why it did not succeed, in words
    signal: Optional[int] = None  # the signal that killed it, if one did
    left_running: bool = False  # run with kill=False, still running at the timeout

    @property
    def ok(self) -> bool:
        return self.error is None and self.exit_status == 0


class Runner(Protocol):
    # True when it talks to a host (commands have effects there); False for a replay.
    live: bool

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT, kill: bool = True) -> CommandResult:
        """Run ``argv``.  With ``kill=False`` a command still running at the
        timeout is reported as such and left to finish, never killed (a
        ``modlist`` killed between its unlink and relink loses the interface)."""
        ...

    def holds(self, argv: Sequence[str]) -> bool:
        """Whether ``argv`` can be answered: a replay holds only what was recorded."""
        ...

    def still_running(self) -> list[tuple[str, ...]]:
        """Commands run with ``kill=False`` that outlived their timeout and still run."""
        ...

    def read_file(self, path: str) -> str:
        """The file's text; raises OSError (FileNotFoundError when absent)."""
        ...

    def glob(self, pattern: str) -> list[str]:
        """Paths matching a shell pattern in one directory (``/etc/hostname.*``),
        sorted; raises OSError when the directory cannot be listed."""
        ...

    def close(self) -> None:
        """Stop: kill what still runs (a ``kill=False`` command is left to
        finish) and refuse new commands; connections are closed."""
        ...


def _describe_exit(status: int, stderr: str) -> str:
    first = stderr.strip().splitlines()[0] if stderr.strip() else ""
    return f"exit status {status}" + (f": {first[:300]}" if first else "")


@contextlib.contextmanager
def shielded(on: bool = True) -> Iterator[None]:
    """Start processes in this block with the stop and hangup signals blocked
    (a blocked mask survives fork and exec): SMF's stop (``:kill``) and
    refresh (``:kill -HUP``) signal every process in the service's contract,
    children included.  SIGKILL cannot be blocked."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, SHIELDED) if on else None
    try:
        yield
    finally:
        if mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group a command started with ``start_new_session`` leads."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def read_capped(stream: Any, into: bytearray, cap: int, on_over: Callable[[], None]) -> None:
    """Read ``stream`` to its end, keeping at most ``cap`` bytes; ``on_over``
    is called for each read past the cap (the rest is dropped)."""
    while True:
        chunk = stream.read(65536)
        if not chunk:
            break
        room = cap - len(into)
        if room > 0:
            into.extend(chunk[:room])
        if len(chunk) > room:
            on_over()
    stream.close()


def read_regular(path: str, cap: int) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``cap`` bytes.

    Opened without blocking: a FIFO or a device (an ``/etc/hostname.*`` that
    is not a file) is refused instead of waited on for ever, and a file
    larger than ``cap`` is refused rather than read in part."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
        chunks = []
        size = 0
        while True:
            chunk = os.read(fd, min(65536, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                raise OSError(errno.EFBIG, f"larger than {cap} bytes", path)
        return b"".join(chunks)
    finally:
        os.close(fd)


def pipe_holders(pipes: Sequence[tuple[int, int]]) -> list[int]:
    """The processes (other than this one) holding any of ``pipes`` (device,
    inode) open, from /proc's per-process descriptor lists (Linux, Solaris
    and illumos have them); [] where /proc cannot tell."""
    me = os.getpid()
    found = []
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != me]
    except OSError:
        return []
    wanted = set(pipes)
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue  # gone, or not ours to look at
        for fd in fds:
            try:
                st = os.stat(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in wanted:
                found.append(pid)
                break
    return found


def find_ctrun(path: str) -> Optional[str]:
    """ctrun(1) where the host has process contracts (Solaris, illumos)."""
    if not sys.platform.startswith("sunos"):
        return None
    return shutil.which("ctrun", path=f"{path}:/usr/bin")


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class _Output:
    """A command's stdout and stderr, read with one selector, at most ``cap``
    bytes of each kept; past the cap the command is killed (with ``kill``)
    and the rest dropped."""

    def __init__(self, proc: subprocess.Popen[bytes], cap: int, kill: bool) -> None:
        self.proc = proc
        self.cap = cap
        self.kill = kill
        self.out = bytearray()
        self.err = bytearray()
        self.over = False
        self._streams = [s for s in (proc.stdout, proc.stderr) if s is not None]
        self.pipes = [(st.st_dev, st.st_ino) for st in (os.fstat(s.fileno()) for s in self._streams)]
        self._bufs = {s.fileno(): b for s, b in zip(self._streams, (self.out, self.err))}
        self._sel = selectors.DefaultSelector()
        for s in self._streams:
            self._sel.register(s.fileno(), selectors.EVENT_READ)
        self._lock = threading.Lock()

    def open(self) -> bool:
        with self._lock:
            return bool(self._sel.get_map())

    def pump(self, wait: float) -> None:
        """Read what arrives within ``wait`` seconds."""
        with self._lock:
            if not self._sel.get_map():
                return
            for key, _ in self._sel.select(max(0.0, wait)):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    self._sel.unregister(key.fd)
                    continue
                buf = self._bufs[key.fd]
                room = self.cap - len(buf)
                if room > 0:
                    buf += chunk[:room]
                if len(chunk) > room:
                    self.over = True
                    if self.kill:
                        kill_group(self.proc)
            if not self._sel.get_map():
                self.close()

    def drain_until(self, deadline: Optional[float]) -> None:
        """Read until both pipes close, or ``deadline`` (None: no deadline)."""
        while self.open() and (deadline is None or time.monotonic() < deadline):
            self.pump(0.1 if deadline is None else min(0.1, deadline - time.monotonic()))

    def close(self) -> None:
        for s in self._streams:
            s.close()
        self._sel.close()


class _Lingering:
    """A finished command whose output a process it started still holds
    open; a thread keeps draining it so we notice when that process ends."""

    def __init__(self, pid: int, output: _Output) -> None:
        self.pid = pid
        self.output = output
        self._thread = threading.Thread(target=output.drain_until, args=(None,), daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def wait(self, seconds: float) -> None:
        self._thread.join(seconds)


class SubprocessRunner:
    """Runs commands with no shell, ``LC_ALL=C``, a fixed PATH and a timeout.

    Each command leads its own process group.  A timeout kills the group (the
    command and anything it started).  Output beyond ``cap`` bytes is dropped
    and the command is killed; bytes that are not UTF-8 are replaced, never
    raised.  Such a result, and one whose output a descendant kept open after
    the command exited, is never a success.

    Nothing a command starts outlives it: where ``ctrun`` exists (Solaris,
    illumos) each command runs in its own process contract that dies with it
    (``ctrun -l child -o noorphan``); elsewhere, when the output stays open
    after the command exited, its process group is killed and then whatever
    still holds the output (a descendant that left the group with
    ``setsid``).  If one still cannot be killed, the next run of that
    command is refused with that reason rather than piling up processes.
    A command run with ``kill=False`` (a ``modlist``) is never killed nor
    wrapped.
    """

    live = True

    def __init__(
        self,
        path: str = DEFAULT_PATH,
        cap: int = OUTPUT_CAP,
        root: str = "/",
        ctrun: Optional[str] = "",  # "" finds it; None never uses it
    ) -> None:
        self.path = path
        self.cap = cap
        self.root = root
        self.ctrun = find_ctrun(path) if ctrun == "" else ctrun
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._unkillable: dict[subprocess.Popen[bytes], tuple[str, ...]] = {}
        self._lingering: dict[tuple[str, ...], _Lingering] = {}
        self._closed = False

    def holds(self, argv: Sequence[str]) -> bool:
        return True

    def adopt(self, old: SubprocessRunner) -> None:
        """Take over the commands ``old`` left running (kill=False): this runner
        starts no modlist while one of them still runs."""
        with old._lock:
            left = dict(old._unkillable)
        with self._lock:
            self._unkillable.update(left)

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT, kill: bool = True) -> CommandResult:
        args = tuple(argv)
        start = time.monotonic()
        env = {"LC_ALL": "C", "LANG": "C", "PATH": self.path}
        with self._lock:
            if self._closed:
                return CommandResult(args, "", "", None, 0.0, "shutting down")
            lingering = self._lingering.get(args)
        if lingering is not None:
            if lingering.alive():
                self._reap_holders(lingering)
            if lingering.alive():
                why = (
                    f"its previous run (pid {lingering.pid}) still lingers: a process it started "
                    "holds its output open and could not be killed; not run again"
                )
                return CommandResult(args, "", "", None, 0.0, why)
            with self._lock:
                self._lingering.pop(args, None)
        spawn = args
        if kill and self.ctrun is not None:
            # its own process contract, killed whole when the command exits
            # (ctrun(1): -l child, -o noorphan; usr/src/cmd/ctrun/ctrun.c
            # exits with the command's status)
            spawn = (self.ctrun, "-l", "child", "-o", "noorphan") + args
        with self._lock:
            if self._closed:
                return CommandResult(args, "", "", None, 0.0, "shutting down")
            # A command that must not be killed is started shielded from SMF's
            # stop and refresh signals.
            try:
                with shielded(not kill):
                    proc = subprocess.Popen(
                        spawn,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        env=env,
                        start_new_session=True,
                        close_fds=True,
                    )
            except FileNotFoundError:
                return CommandResult(args, "", "", 127, time.monotonic() - start, "command not found")
            except PermissionError:
                return CommandResult(args, "", "", 126, time.monotonic() - start, "permission denied")
            except OSError as e:
                return CommandResult(args, "", "", 126, time.monotonic() - start, str(e))
            self._running.add(proc)
            if not kill:
                self._unkillable[proc] = args
        left_running = False
        try:
            result = self._collect(proc, args, timeout, start, kill)
            left_running = result.left_running
            return result
        finally:
            with self._lock:
                self._running.discard(proc)
                if not left_running:
                    self._unkillable.pop(proc, None)

    def _reap(self, proc: subprocess.Popen[bytes], output: _Output) -> None:
        """A command left to finish: keep its pipes drained until it exits."""
        output.drain_until(None)
        proc.wait()
        with self._lock:
            self._unkillable.pop(proc, None)

    def still_running(self) -> list[tuple[str, ...]]:
        """Commands run with ``kill=False`` that outlived their timeout and still run."""
        with self._lock:
            return [args for p, args in self._unkillable.items() if p.poll() is None]

    def _collect(
        self,
        proc: subprocess.Popen[bytes],
        args: tuple[str, ...],
        timeout: float,
        start: float,
        kill: bool = True,
    ) -> CommandResult:
        # Both pipes are read here, in the calling thread, with one selector:
        # no thread per command.
        output = _Output(proc, self.cap, kill)
        deadline = start + timeout
        exited_at: Optional[float] = None
        timed_out = held_open = False
        while output.open():
            now = time.monotonic()
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            # A command's output is all in the pipe when it exits, unless a
            # process it started still holds the pipe open.
            if (exited_at is not None and now - exited_at > 0.1) or now >= deadline:
                break
            output.pump(min(deadline - now, 0.05 if exited_at is None else 0.02))
        if not output.open():
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        if proc.poll() is None:
            if not kill:
                threading.Thread(target=self._reap, args=(proc, output), daemon=True).start()
                return CommandResult(
                    args,
                    "",
                    "",
                    None,
                    time.monotonic() - start,
                    f"still running after {timeout:g}s; left to finish, not killed",
                    left_running=True,
                )
            timed_out = True
            kill_group(proc)
            proc.wait()
            output.drain_until(time.monotonic() + 0.5)
        elif output.open():
            held_open = True
        if output.open():
            holders = pipe_holders(output.pipes)
            kill_group(proc)
            for pid in holders:
                _kill(pid)
            output.drain_until(time.monotonic() + 0.5)
            if output.open():
                lingering = _Lingering(proc.pid, output)
                with self._lock:
                    self._lingering[args] = lingering
        else:
            output.close()
        duration = time.monotonic() - start
        stdout = str(output.out, "utf-8", "replace")
        stderr = str(output.err, "utf-8", "replace")
        rc = proc.returncode
        if timed_out:
            return CommandResult(
                args,
                stdout,
                stderr,
                None,
                duration,
                f"timed out after {timeout:g}s",
                signal.SIGKILL,
            )
        if held_open:
            why = "exited, but a process it started held its output open; that process was killed"
            if output.open():
                why = "exited, but a process it started holds its output open and could not be killed"
            return CommandResult(args, stdout, stderr, rc, duration, why)
        if output.over:
            what = "command stopped" if kill else "the rest was dropped"
            return CommandResult(
                args, stdout, stderr, rc, duration, f"output exceeded {self.cap} bytes; {what}"
            )
        if rc is not None and rc < 0:
            try:
                signame = signal.Signals(-rc).name
            except ValueError:
                signame = f"signal {-rc}"
            return CommandResult(args, stdout, stderr, rc, duration, f"killed by {signame}", -rc)
        if rc != 0:
            return CommandResult(args, stdout, stderr, rc, duration, _describe_exit(rc, stderr))
        return CommandResult(args, stdout, stderr, rc, duration)

    def _reap_holders(self, lingering: _Lingering) -> None:
        """Kill what still holds a finished command's output open."""
        for pid in pipe_holders(lingering.output.pipes):
            _kill(pid)
        lingering.wait(0.5)

    def lingering(self) -> list[tuple[str, ...]]:
        """Commands whose output a process they started still holds open."""
        with self._lock:
            return [args for args, held in self._lingering.items() if held.alive()]

    def close(self) -> None:
        """Kill every running command (and its children) and refuse new ones;
        a command run with ``kill=False`` is left to finish."""
        with self._lock:
            self._closed = True
            procs = [p for p in self._running if p not in self._unkillable]
            held = list(self._lingering.values())
        for p in procs:
            kill_group(p)
        for h in held:
            if h.alive():
                self._reap_holders(h)

    def _host_path(self, path: str) -> str:
        return os.path.join(self.root, path.lstrip("/"))

    def read_file(self, path: str) -> str:
        return str(read_regular(self._host_path(path), self.cap), "utf-8", "replace")

    def glob(self, pattern: str) -> list[str]:
        directory, _, name = pattern.rpartition("/")
        names = os.listdir(self._host_path(directory or "/"))
        return sorted(f"{directory}/{n}" for n in names if fnmatch.fnmatchcase(n, name))


class CaptureRunner:
    """Replays a :class:`Capture`, held in memory.

    A recorded missing command answers "command not found" (exit 127), as
    does, in a /1 capture, any command it does not hold.  In a /2 capture a
    command it does not hold is *not recorded* (no exit status): unknown.  A
    file recorded as absent does not exist; a file the capture does not
    mention raises :class:`NotRecorded`, so whatever depends on it is unknown.
    """

    live = False

    def __init__(self, source: Union[Capture, str, os.PathLike[str]]) -> None:
        self.capture = source if isinstance(source, Capture) else capture_mod.load(os.fspath(source))
        self.taken_at = self.capture.taken_at

    def holds(self, argv: Sequence[str]) -> bool:
        return tuple(argv) in self.capture.commands

    def still_running(self) -> list[tuple[str, ...]]:
        return []

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT, kill: bool = True) -> CommandResult:
        args = tuple(argv)
        held = self.capture.commands.get(args)
        if held is None:
            if self.capture.unrecorded_is_missing:
                return CommandResult(args, "", "", 127, 0.0, "command not found")
            return CommandResult(args, "", "", None, 0.0, "not recorded in the capture")
        if held.missing:
            return CommandResult(args, "", "", 127, 0.0, "command not found")
        if held.timeout is not None:
            why = f"timed out after {held.timeout:g}s"
            return CommandResult(args, held.stdout, held.stderr, None, held.timeout, why, signal.SIGKILL)
        if held.exit != 0:
            return CommandResult(
                args, held.stdout, held.stderr, held.exit, 0.0, _describe_exit(held.exit, held.stderr)
            )
        return CommandResult(args, held.stdout, held.stderr, 0, 0.0)

    def read_file(self, path: str) -> str:
        cap = self.capture
        if path in cap.files:
            return cap.files[path]
        if path in cap.absent:
            raise FileNotFoundError(2, "No such file or directory", path)
        if path in cap.unreadable:
            raise OSError(cap.unreadable[path])
        raise NotRecorded("not recorded in the capture")

    def glob(self, pattern: str) -> list[str]:
        return list(self.capture.glob(pattern))

    def close(self) -> None:
        pass


class RecordingRunner:
    """Passes calls to ``inner`` and keeps what it saw as a :class:`Capture`."""

    def __init__(self, inner: Runner) -> None:
        self.inner = inner
        self.live = inner.live
        self.capture = Capture()

    def holds(self, argv: Sequence[str]) -> bool:
        return self.inner.holds(argv)

    def still_running(self) -> list[tuple[str, ...]]:
        return self.inner.still_running()

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT, kill: bool = True) -> CommandResult:
        result = self.inner.run(argv, timeout, kill)
        if result.exit_status == 127 and result.error == "command not found":
            self.capture.commands[result.argv] = Recorded("", "", 127, missing=True)
        elif result.error and result.error.startswith("timed out after"):
            self.capture.commands[result.argv] = Recorded(
                result.stdout, result.stderr, 124, timeout=max(1.0, round(timeout))
            )
        elif not result.left_running:
            rc = result.exit_status if result.exit_status is not None else 124
            if result.signal is not None:
                rc = 128 + result.signal  # as a shell reports a command a signal killed
            elif result.error and rc == 0:
                rc = 1  # e.g. output over the cap: never replayed as a success
            stderr = result.stderr
            if result.error and not result.error.startswith("exit status"):
                stderr += f"\nipmpd: {result.error}\n"
            self.capture.commands[result.argv] = Recorded(result.stdout, stderr, rc)
        return result

    def read_file(self, path: str) -> str:
        try:
            text = self.inner.read_file(path)
        except FileNotFoundError:
            self.capture.absent.add(path)
            raise
        except NotRecorded:
            raise
        except OSError as e:
            self.capture.unreadable[path] = f"{path}: {e.strerror or e}"
            raise
        self.capture.files[path] = text
        return text

    def glob(self, pattern: str) -> list[str]:
        found = self.inner.glob(pattern)
        self.capture.globs[pattern] = tuple(found)
        return found

    def close(self) -> None:
        self.inner.close()
