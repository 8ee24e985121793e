"""The one seam between ipmpd and a host: running commands and reading files.

``SubprocessRunner`` talks to the real host; ``CaptureRunner`` replays a
capture directory; ``RecordingRunner`` wraps another runner and writes what
it saw as a capture.  ``SOURCES`` is the literal table of what ipmpd runs:
name -> argv -> parser -> platforms.  Only this module touches subprocess.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Protocol

DEFAULT_PATH = "/usr/sbin:/usr/bin"
DEFAULT_TIMEOUT = 10.0
OUTPUT_CAP = 16 * 1024 * 1024
CAPTURE_FORMAT = "ipmpd-capture/1"
SHIELDED = (signal.SIGHUP, signal.SIGINT, signal.SIGTERM)

# Solaris link names: letters, digits, underscores and dots, starting with a
# letter and ending with a digit (dladm(8) "link names"), at most 31 chars
# (MAXLINKNAMELEN 32).  Nothing that fails this is ever put on a command line.
LINK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,29}[0-9]$")


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

    def list_dir(self, path: str) -> list[str]:
        """Names in a directory; raises OSError."""
        ...


def _describe_exit(status: int, stderr: str) -> str:
    first = stderr.strip().splitlines()[0] if stderr.strip() else ""
    return f"exit status {status}" + (f": {first[:300]}" if first else "")


class SubprocessRunner:
    """Runs commands with no shell, ``LC_ALL=C``, a fixed PATH and a timeout.

    A timeout kills the whole process group (the command and anything it
    started).  Output beyond ``cap`` bytes is dropped and the command is
    killed; bytes that are not UTF-8 are replaced, never raised.
    """

    live = True

    def __init__(self, path: str = DEFAULT_PATH, cap: int = OUTPUT_CAP, root: str = "/") -> None:
        self.path = path
        self.cap = cap
        self.root = root
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self._unkillable: dict[subprocess.Popen[bytes], tuple[str, ...]] = {}
        self._closed = False

    def holds(self, argv: Sequence[str]) -> bool:
        return True

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT, kill: bool = True) -> CommandResult:
        args = tuple(argv)
        start = time.monotonic()
        env = {"LC_ALL": "C", "LANG": "C", "PATH": self.path}
        with self._lock:
            if self._closed:
                return CommandResult(args, "", "", None, 0.0, "shutting down")
            # A command that must not be killed is started with the stop and hangup
            # signals blocked (a blocked mask survives fork and exec): SMF's stop
            # (":kill") and refresh (":kill -HUP") signal every process in the
            # service's contract, this one included.  SIGKILL cannot be blocked.
            mask = None if kill else signal.pthread_sigmask(signal.SIG_BLOCK, SHIELDED)
            try:
                proc = subprocess.Popen(
                    args,
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
            finally:
                if mask is not None:
                    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
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
            if left_running:
                threading.Thread(target=self._reap, args=(proc,), daemon=True).start()

    def _reap(self, proc: subprocess.Popen[bytes]) -> None:
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
        bufs: dict[str, bytearray] = {"out": bytearray(), "err": bytearray()}
        over = threading.Event()

        def drain(name: str, stream: Any) -> None:
            buf = bufs[name]
            while True:
                chunk = stream.read(65536)
                if not chunk:
                    break
                room = self.cap - len(buf)
                if room > 0:
                    buf.extend(chunk[:room])
                if len(chunk) > room:
                    over.set()
                    if kill:
                        self._kill(proc)
            stream.close()

        readers = [
            threading.Thread(target=drain, args=("out", proc.stdout), daemon=True),
            threading.Thread(target=drain, args=("err", proc.stderr), daemon=True),
        ]
        for r in readers:
            r.start()
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            if not kill:
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
            self._kill(proc)
            proc.wait()
        for r in readers:
            r.join(timeout=2.0)
        duration = time.monotonic() - start
        stdout = str(bufs["out"], "utf-8", "replace")
        stderr = str(bufs["err"], "utf-8", "replace")
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
        if over.is_set():
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

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes]) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def kill_all(self) -> None:
        """Kill every running command (and its children) and refuse new ones;
        a command run with ``kill=False`` is left to finish."""
        with self._lock:
            self._closed = True
            procs = [p for p in self._running if p not in self._unkillable]
        for p in procs:
            self._kill(p)

    def _host_path(self, path: str) -> str:
        return os.path.join(self.root, path.lstrip("/"))

    def read_file(self, path: str) -> str:
        with open(self._host_path(path), "rb") as f:
            return str(f.read(self.cap), "utf-8", "replace")

    def list_dir(self, path: str) -> list[str]:
        return sorted(os.listdir(self._host_path(path)))


class CaptureError(Exception):
    """A capture directory is missing, malformed or names files it does not hold."""


class NotRecorded(OSError):
    """A file the capture says nothing about: unknown, never "absent"."""


class CaptureRunner:
    """Replays a capture directory (format ``ipmpd-capture/1``).

    An argv the capture does not hold answers as "command not found" (exit
    127).  A file recorded as absent does not exist; a file the capture does
    not mention at all raises :class:`NotRecorded`, so whatever depends on it
    is unknown (a capture taken before ipmpd read that file says nothing of it).
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        manifest = self.directory / "capture.json"
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except OSError as e:
            raise CaptureError(f"{manifest}: cannot read: {e.strerror or e}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise CaptureError(f"{manifest}: not JSON: {e}") from None
        if not isinstance(data, dict) or data.get("format") != CAPTURE_FORMAT:
            raise CaptureError(f"{manifest}: format is not {CAPTURE_FORMAT!r}")
        self.taken_at = data.get("taken_at")
        self.commands: dict[tuple[str, ...], tuple[str, str, int]] = {}
        self.files: dict[str, str] = {}
        commands = data.get("commands", [])
        files = data.get("files", [])
        if not isinstance(commands, list) or not isinstance(files, list):
            raise CaptureError(f"{manifest}: commands and files must be lists")
        for i, c in enumerate(commands):
            where = f"{manifest}: commands[{i}]"
            if not isinstance(c, dict):
                raise CaptureError(f"{where}: not an object")
            argv = c.get("argv")
            if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
                raise CaptureError(f"{where}.argv: must be a non-empty list of strings")
            exit_status = c.get("exit", 0)
            if not isinstance(exit_status, int) or isinstance(exit_status, bool):
                raise CaptureError(f"{where}.exit: must be an integer")
            stdout = self._read(c.get("stdout"), f"{where}.stdout", required=False)
            stderr = self._read(c.get("stderr"), f"{where}.stderr", required=False)
            self.commands[tuple(argv)] = (stdout, stderr, exit_status)
        self.absent: set[str] = set()
        for i, f in enumerate(files):
            where = f"{manifest}: files[{i}]"
            if not isinstance(f, dict) or not isinstance(f.get("path"), str):
                raise CaptureError(f"{where}.path: must be a string")
            if f.get("absent") is True:
                self.absent.add(f["path"])
                continue
            self.files[f["path"]] = self._read(f.get("content"), f"{where}.content", True)

    def _read(self, name: Any, where: str, required: bool) -> str:
        if name is None and not required:
            return ""
        if not isinstance(name, str) or not name:
            raise CaptureError(f"{where}: must name a file in the capture")
        path = (self.directory / name).resolve()
        if self.directory.resolve() not in path.parents:
            raise CaptureError(f"{where}: {name!r} is outside the capture directory")
        try:
            return str(path.read_bytes(), "utf-8", "replace")
        except OSError as e:
            raise CaptureError(f"{where}: cannot read {name!r}: {e.strerror or e}") from None

    live = False

    def holds(self, argv: Sequence[str]) -> bool:
        return tuple(argv) in self.commands

    def still_running(self) -> list[tuple[str, ...]]:
        return []

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT, kill: bool = True) -> CommandResult:
        args = tuple(argv)
        held = self.commands.get(args)
        if held is None:
            return CommandResult(args, "", "", 127, 0.0, "command not found")
        stdout, stderr, rc = held
        if rc != 0:
            return CommandResult(args, stdout, stderr, rc, 0.0, _describe_exit(rc, stderr))
        return CommandResult(args, stdout, stderr, 0, 0.0)

    def read_file(self, path: str) -> str:
        if path in self.files:
            return self.files[path]
        if path in self.absent:
            raise FileNotFoundError(2, "No such file or directory", path)
        raise NotRecorded("not recorded in the capture")

    def list_dir(self, path: str) -> list[str]:
        prefix = path.rstrip("/") + "/"
        names = {p[len(prefix) :].split("/", 1)[0] for p in self.files if p.startswith(prefix)}
        return sorted(names)


def _safe_name(parts: Sequence[str]) -> str:
    return re.sub(r"[^A-Za-z0-9._,-]+", "_", "_".join(parts)).strip("_")[:120] or "output"


class RecordingRunner:
    """Passes calls to ``inner`` and remembers them, to write a capture."""

    def __init__(self, inner: Runner) -> None:
        self.inner = inner
        self.live = inner.live
        self.results: list[CommandResult] = []
        self.files: dict[str, str] = {}
        self.absent: set[str] = set()

    def holds(self, argv: Sequence[str]) -> bool:
        return self.inner.holds(argv)

    def still_running(self) -> list[tuple[str, ...]]:
        return self.inner.still_running()

    def run(self, argv: Sequence[str], timeout: float = DEFAULT_TIMEOUT, kill: bool = True) -> CommandResult:
        result = self.inner.run(argv, timeout, kill)
        self.results.append(result)
        return result

    def read_file(self, path: str) -> str:
        try:
            text = self.inner.read_file(path)
        except FileNotFoundError:
            self.absent.add(path)
            raise
        self.files[path] = text
        return text

    def list_dir(self, path: str) -> list[str]:
        return self.inner.list_dir(path)

    def write(self, directory: str | os.PathLike[str], taken_at: str) -> Path:
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        used: set[str] = set()

        def unique(base: str) -> str:
            name, n = base, 1
            while name in used:
                n += 1
                name = f"{base}.{n}"
            used.add(name)
            return name

        commands = []
        for r in self.results:
            if r.exit_status == 127 and r.error == "command not found":
                continue  # absent on this host: replay answers the same way
            stem = unique(_safe_name(r.argv))
            entry: dict[str, Any] = {"argv": list(r.argv), "stdout": f"{stem}.out"}
            (out / f"{stem}.out").write_text(r.stdout, encoding="utf-8")
            if r.stderr:
                entry["stderr"] = f"{stem}.err"
                (out / f"{stem}.err").write_text(r.stderr, encoding="utf-8")
            entry["exit"] = r.exit_status if r.exit_status is not None else 124
            commands.append(entry)
        files: list[dict[str, Any]] = []
        for path, text in sorted(self.files.items()):
            stem = unique(_safe_name(path.strip("/").split("/")))
            (out / stem).write_text(text, encoding="utf-8")
            files.append({"path": path, "content": stem})
        files += [{"path": path, "absent": True} for path in sorted(self.absent - set(self.files))]
        manifest = {
            "format": CAPTURE_FORMAT,
            "taken_at": taken_at,
            "commands": commands,
            "files": files,
        }
        (out / "capture.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        return out


# --------------------------------------------------------------------------
# The table of sources.  These argvs are fixed so that captures taken by
# different versions of ipmpd stay interchangeable.

ALL = ("solaris10", "solaris11", "illumos", "unknown")
CLEARVIEW = ("solaris11", "illumos", "unknown")  # ipmpstat, dladm show-phys, ipadm


@dataclass(frozen=True)
class Source:
    name: str
    argv: tuple[str, ...]
    platforms: tuple[str, ...]
    parser: str  # dotted name of the parse function, for docs
    sparc_only: bool = False
    doc: str = ""


SOURCES: tuple[Source, ...] = (
    Source("uname", ("uname", "-a"), ALL, "parsers.uname.parse", doc="platform and arch"),
    Source(
        "ifconfig",
        ("ifconfig", "-a"),
        ALL,
        "parsers.ifconfig.parse",
        doc="interfaces, flags, addresses, groupname, ether",
    ),
    Source(
        "ipmp-groups",
        ("ipmpstat", "-g", "-P", "-o", "group,groupname,state,fdt,interfaces"),
        CLEARVIEW,
        "parsers.ipmpstat.parse_groups",
        doc="group state and members",
    ),
    Source(
        "ipmp-interfaces",
        ("ipmpstat", "-i", "-P", "-o", "interface,active,group,flags,link,probe,state"),
        CLEARVIEW,
        "parsers.ipmpstat.parse_interfaces",
        doc="member state",
    ),
    Source(
        "ipmp-targets",
        ("ipmpstat", "-t", "-P", "-o", "interface,mode,testaddr,targets"),
        CLEARVIEW,
        "parsers.ipmpstat.parse_targets",
        doc="probe mode and test addresses",
    ),
    Source(
        "links",
        ("dladm", "show-phys", "-p", "-o", "link,media,state,speed,duplex,device"),
        CLEARVIEW,
        "parsers.dladm.parse_phys",
        doc="media type and link state",
    ),
    Source(
        "macs",
        ("dladm", "show-phys", "-m", "-p", "-o", "link,slot,address,inuse,client"),
        CLEARVIEW,
        "parsers.dladm.parse_macs",
        doc="MAC addresses (no privilege needed)",
    ),
    Source(
        "eeprom",
        ("eeprom", "local-mac-address?"),
        ALL,
        "parsers.eeprom.parse",
        sparc_only=True,
        doc="SPARC local-mac-address?",
    ),
    Source(
        "autopush-links",
        ("dladm", "show-linkprop", "-c", "-o", "link,value", "-p", "autopush"),
        CLEARVIEW,
        "parsers.autopush.parse_linkprop",
        doc="per-link autopush modules (no privilege needed)",
    ),
    Source(
        "ipadm-if",
        ("ipadm", "show-if", "-p", "-o", "ifname,state,current,persistent"),
        CLEARVIEW,
        "parsers.ipadm.parse_if",
        doc="persistent interfaces (ipadm)",
    ),
    Source(
        "ipadm-addr",
        ("ipadm", "show-addr", "-p", "-o", "addrobj,type,state,current,persistent,addr"),
        CLEARVIEW,
        "parsers.ipadm.parse_addr",
        doc="persistent addresses (ipadm)",
    ),
)
# Per physical interface, and only when asked (``--modlist``, ``modlist_interval``):
# it unlinks and relinks the IP stream and needs net_rawaccess and
# sys_ip_config (FORMATS.md section 2; toolchain notes A2).  Never killed.
MODLIST = Source(
    "modlist",
    ("ifconfig", "IF", "modlist"),
    ALL,
    "parsers.modlist.parse",
    doc="STREAMS modules, per physical member; privileged, not read-only",
)
# The per-driver autopush lists boot loads (``autopush -f``, from inittab for
# iu.ap, from svc:/network/pfil for pfil.ap); absent files configure nothing.
AUTOPUSH_FILES = Source(
    "autopush-files",
    ("read", "/etc/iu.ap", "/etc/ipf/pfil.ap"),
    ALL,
    "parsers.autopush.parse_apconf",
    doc="per-driver autopush modules loaded at boot (pfil.ap: Solaris 10 3/05 to 11/06)",
)
NAME_TO_MAJOR = Source(
    "name-to-major",
    ("read", "/etc/name_to_major"),
    ALL,
    "parsers.autopush.parse_name_to_major",
    doc="driver major numbers, for autopush -g",
)
# Per driver instance of a member whose link has no per-link value: the
# per-driver list the kernel holds now.  Reads /dev/sad/user (mode 0666):
# no privilege; refused outside the global zone (the files are used then).
AUTOPUSH_KERNEL = Source(
    "autopush",
    ("autopush", "-g", "-M", "MAJOR", "-m", "MINOR"),
    ALL,
    "parsers.autopush.parse_autopush_g",
    doc="per-driver autopush modules in the kernel now",
)

# Solaris 10 and illumos without ipadm: /etc/hostname.IF and hostname6.IF.
HOSTNAME_FILES = Source(
    "persistent",
    ("read", "/etc/hostname.*"),
    ("solaris10", "illumos", "unknown"),
    "parsers.hostname.parse",
    doc="persistent configuration files",
)

# illumos ipadm's persistent store: the only place that says which IPMP
# interface a member rejoins at boot (ipadm create-ipmp/add-ipmp, 2021+).
# World-readable; absent when ipadm never persisted anything.  Solaris 11
# keeps its store elsewhere (SMF on 11.4) in a format not published.
IPADM_STORE = Source(
    "ipadm-store",
    ("read", "/etc/ipadm/ipadm.conf"),
    ("illumos",),
    "parsers.ipadm.parse_store",
    doc="ipadm's persistent IPMP membership (illumos)",
)
IPADM_STORE_PATH = IPADM_STORE.argv[1]
SOURCES_BY_NAME = {s.name: s for s in SOURCES}


def modlist_argv(interface: str) -> tuple[str, ...]:
    if not LINK_NAME.match(interface):
        raise ValueError(f"{interface!r} is not a valid link name")
    return ("ifconfig", interface, "modlist")


# What each source needs beyond the basic privilege set, from the illumos
# sources (README "Privileges" cites them).  modlist is the only one that
# needs more on Solaris 11 and illumos; it is off unless asked for.
PRIVILEGES: dict[str, str] = {
    "uname": "basic",
    "ifconfig": "basic (Solaris 10: net_rawaccess to print ether lines)",
    "ipmp-groups": "basic",
    "ipmp-interfaces": "basic",
    "ipmp-targets": "basic",
    "links": "basic",
    "macs": "basic",
    "autopush-links": "basic",
    "eeprom": "read access to /dev/openprom (0640 root:sys): group sys, or file_dac_read",
    "ipadm-if": "basic",
    "ipadm-addr": "basic",
    "persistent": "basic (read /etc/hostname.*)",
    "ipadm-store": "basic (read /etc/ipadm/ipadm.conf, 0644)",
    "autopush-files": "basic (read /etc/iu.ap, 0644)",
    "name-to-major": "basic (read /etc/name_to_major, 0644)",
    "autopush": "basic (/dev/sad/user is 0666; refused outside the global zone)",
    "modlist": "net_rawaccess and sys_ip_config; unlinks and relinks the interface's IP stream",
}


def module_sources(modlist_enabled: bool, live: bool) -> list[dict[str, Any]]:
    """The module sources a run uses, with what each needs: logged at start."""
    out: list[dict[str, Any]] = []
    for src in (SOURCES_BY_NAME["autopush-links"], AUTOPUSH_KERNEL, AUTOPUSH_FILES, NAME_TO_MAJOR):
        out.append(
            {"source": src.name, "argv": " ".join(src.argv), "used": True, "privileges": PRIVILEGES[src.name]}
        )
    out.append(
        {
            "source": MODLIST.name,
            "argv": " ".join(MODLIST.argv),
            "used": modlist_enabled if live else "as recorded",
            "privileges": PRIVILEGES[MODLIST.name],
        }
    )
    return out


def autopush_argv(major: int, minor: int) -> tuple[str, ...]:
    return ("autopush", "-g", "-M", str(int(major)), "-m", str(int(minor)))


def applies(source: Source, platform: str, arch: Optional[str]) -> bool:
    if platform not in source.platforms:
        return False
    if source.sparc_only and arch not in ("sparc", None):
        return False
    return True
