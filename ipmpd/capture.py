"""Capture data: what a host's commands printed and its files held, apart
from the runner that replays it.

Two layouts hold the same data:

* a directory, ``capture.json`` naming one file per output (``ipmpd capture
  --out DIR``); and
* a stream, one self-contained file or pipe (``ipmpd capture --stream FILE``
  and the shell collector, ``ipmpd collector``), described in
  docs/capture-format.md.

Format ``ipmpd-capture/1`` left out commands the host did not have, so a
command it does not hold reads as missing.  ``ipmpd-capture/2`` records a
missing command as such (exit 127) and files that could not be read with
why, so anything it does not hold is *not recorded*: unknown, never missing.
Both are read; /2 is written.
"""

from __future__ import annotations

import contextlib
import datetime
import fnmatch
import json
import os
import re
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Optional

FORMAT_1 = "ipmpd-capture/1"
FORMAT_2 = "ipmpd-capture/2"
CAPTURE_FORMAT = FORMAT_2
FORMATS = (FORMAT_1, FORMAT_2)
MANIFEST = "capture.json"
# A stream header line carries argv words and paths: printable ASCII with no
# space inside a word (every argv in the sources table, every link name and
# every path ipmpd reads is such a word).
_WORD = re.compile(r"^[!-~]+$")
STREAM_LIMIT = 256 * 1024 * 1024


class CaptureError(Exception):
    """A capture is missing, malformed, truncated or altered."""


class NotRecorded(OSError):
    """A file the capture says nothing about: unknown, never "absent"."""


@dataclass(frozen=True)
class Recorded:
    stdout: str
    stderr: str
    exit: int  # 127: the command was not on the host's PATH
    missing: bool = False
    timeout: Optional[float] = None  # killed after this many seconds, still running


@dataclass
class Capture:
    format: str = CAPTURE_FORMAT
    taken_at: Optional[str] = None
    commands: dict[tuple[str, ...], Recorded] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    absent: set[str] = field(default_factory=set)
    unreadable: dict[str, str] = field(default_factory=dict)  # path -> why
    globs: dict[str, tuple[str, ...]] = field(default_factory=dict)  # pattern -> paths
    meta: dict[str, str] = field(default_factory=dict)
    origin: str = "capture"

    @property
    def taken_at_seconds(self) -> Optional[float]:
        """``taken_at`` (ISO 8601 UTC, ``2026-11-24T10:00:00Z``) in seconds
        since the epoch; None when the capture does not say or says it
        in another form."""
        if not self.taken_at:
            return None
        text = self.taken_at.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"  # fromisoformat takes "Z" only from 3.11
        try:
            when = datetime.datetime.fromisoformat(text)
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        return when.timestamp()

    @property
    def unrecorded_is_missing(self) -> bool:
        """/1 captures omitted missing commands; /2 records them."""
        return self.format == FORMAT_1

    def glob(self, pattern: str) -> tuple[str, ...]:
        """The paths the host matched; raises NotRecorded when not recorded
        (a /1 capture answers from the files it holds)."""
        if pattern in self.globs:
            return self.globs[pattern]
        if self.unrecorded_is_missing:
            return tuple(sorted(p for p in self.files if fnmatch.fnmatchcase(p, pattern)))
        raise NotRecorded("not recorded in the capture")


# ------------------------------------------------------------------ cksum


def _crc_table() -> tuple[int, ...]:
    table = []
    for i in range(256):
        c = i << 24
        for _ in range(8):
            c = ((c << 1) ^ 0x04C11DB7) if c & 0x80000000 else (c << 1)
        table.append(c & 0xFFFFFFFF)
    return tuple(table)


_CRC = _crc_table()


def cksum(data: bytes) -> int:
    """The POSIX ``cksum`` CRC (the collector frames each output with it)."""
    crc = 0
    table = _CRC
    for b in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[(crc >> 24) ^ b]
    n = len(data)
    while n:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[(crc >> 24) ^ (n & 0xFF)]
        n >>= 8
    return ~crc & 0xFFFFFFFF


# ------------------------------------------------------------------ reading


def load(source: str) -> Capture:
    """A capture directory, a stream file, or ``-`` for a stream on stdin."""
    if source == "-":
        return read_stream(_read_all(sys.stdin.buffer, "<stdin>"), "<stdin>")
    if os.path.isdir(source):
        return read_dir(source)
    try:
        with open(source, "rb") as f:
            data = _read_all(f, source)
    except OSError as e:
        raise CaptureError(f"{source}: cannot read: {e.strerror or e}") from None
    return read_stream(data, source)


def _read_all(f: BinaryIO, origin: str) -> bytes:
    data = f.read(STREAM_LIMIT + 1)
    if len(data) > STREAM_LIMIT:
        raise CaptureError(f"{origin}: larger than {STREAM_LIMIT} bytes")
    return data


def _text(data: bytes) -> str:
    return str(data, "utf-8", "replace")


def read_dir(directory: str | os.PathLike[str]) -> Capture:
    base = Path(directory)
    manifest = base / MANIFEST
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except OSError as e:
        raise CaptureError(f"{manifest}: cannot read: {e.strerror or e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CaptureError(f"{manifest}: not JSON: {e}") from None
    if not isinstance(data, dict) or data.get("format") not in FORMATS:
        raise CaptureError(f"{manifest}: format is not one of {', '.join(FORMATS)}")
    cap = Capture(format=data["format"], taken_at=data.get("taken_at"), origin=str(base))

    def content(name: Any, where: str, required: bool) -> str:
        if name is None and not required:
            return ""
        if not isinstance(name, str) or not name:
            raise CaptureError(f"{where}: must name a file in the capture")
        path = (base / name).resolve()
        if base.resolve() not in path.parents:
            raise CaptureError(f"{where}: {name!r} is outside the capture directory")
        try:
            return _text(path.read_bytes())
        except OSError as e:
            raise CaptureError(f"{where}: cannot read {name!r}: {e.strerror or e}") from None

    commands, files, globs = data.get("commands", []), data.get("files", []), data.get("globs", [])
    if not all(isinstance(x, list) for x in (commands, files, globs)):
        raise CaptureError(f"{manifest}: commands, files and globs must be lists")
    for i, c in enumerate(commands):
        where = f"{manifest}: commands[{i}]"
        if not isinstance(c, dict):
            raise CaptureError(f"{where}: not an object")
        argv = c.get("argv")
        if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
            raise CaptureError(f"{where}.argv: must be a non-empty list of strings")
        if c.get("missing") is True:
            cap.commands[tuple(argv)] = Recorded("", "", 127, missing=True)
            continue
        timeout = c.get("timeout")
        if timeout is not None and (not isinstance(timeout, (int, float)) or isinstance(timeout, bool)):
            raise CaptureError(f"{where}.timeout: must be a number of seconds")
        exit_status = c.get("exit", 0)
        if not isinstance(exit_status, int) or isinstance(exit_status, bool):
            raise CaptureError(f"{where}.exit: must be an integer")
        stdout = content(c.get("stdout"), f"{where}.stdout", False)
        stderr = content(c.get("stderr"), f"{where}.stderr", False)
        cap.commands[tuple(argv)] = Recorded(stdout, stderr, exit_status, timeout=timeout)
    for i, f in enumerate(files):
        where = f"{manifest}: files[{i}]"
        if not isinstance(f, dict) or not isinstance(f.get("path"), str):
            raise CaptureError(f"{where}.path: must be a string")
        if f.get("absent") is True:
            cap.absent.add(f["path"])
        elif isinstance(f.get("error"), str):
            cap.unreadable[f["path"]] = f["error"]
        else:
            cap.files[f["path"]] = content(f.get("content"), f"{where}.content", True)
    for i, g in enumerate(globs):
        where = f"{manifest}: globs[{i}]"
        ok = isinstance(g, dict) and isinstance(g.get("pattern"), str) and isinstance(g.get("matches"), list)
        if not ok or not all(isinstance(m, str) for m in g["matches"]):
            raise CaptureError(f"{where}: must have a pattern and a list of matches")
        cap.globs[g["pattern"]] = tuple(g["matches"])
    return cap


class _Stream:
    """Reads a stream's lines and framed outputs, counting lines for errors."""

    def __init__(self, data: bytes, origin: str) -> None:
        self.data = data
        self.origin = origin
        self.pos = 0
        self.lineno = 0

    def fail(self, why: str, lineno: Optional[int] = None) -> CaptureError:
        return CaptureError(f"{self.origin}: line {lineno or self.lineno}: {why}")

    def line(self) -> Optional[str]:
        if self.pos >= len(self.data):
            return None
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            self.lineno += 1
            raise self.fail("truncated: the last line has no newline")
        raw = self.data[self.pos : end]
        self.pos = end + 1
        self.lineno += 1
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError:
            raise self.fail("a record line that is not ASCII") from None

    def need(self, what: str) -> str:
        line = self.line()
        if line is None:
            raise CaptureError(f"{self.origin}: line {self.lineno + 1}: truncated: expected {what}")
        return line

    def blob(self, label: str, line: Optional[str] = None) -> bytes:
        """One framed output: its ``LABEL CRC LENGTH`` line (read now unless
        given), then exactly LENGTH bytes and a newline, checked."""
        if line is None:
            line = self.need(f"'{label} CRC LENGTH'")
        words = line.split()
        if len(words) != 3 or words[0] != label or not words[1].isdigit() or not words[2].isdigit():
            raise self.fail(f"expected '{label} CRC LENGTH', found {line[:60]!r}")
        start_line = self.lineno
        crc, length = int(words[1]), int(words[2])
        body = self.data[self.pos : self.pos + length]
        if len(body) < length or self.data[self.pos + length : self.pos + length + 1] != b"\n":
            raise self.fail(f"truncated: {label} of {length} bytes is cut short", start_line)
        if cksum(body) != crc:
            raise self.fail(f"{label}: checksum does not match (corrupted or edited)", start_line)
        self.pos += length + 1
        self.lineno += body.count(b"\n") + 1
        return body


def read_stream(data: bytes, origin: str = "<stream>") -> Capture:
    s = _Stream(data, origin)
    first = s.line()
    if first not in FORMATS:
        raise s.fail(f"not an ipmpd capture stream (the first line is {str(first)[:40]!r})", 1)
    if first != FORMAT_2:
        raise s.fail(f"{first} is a directory format; a stream is {FORMAT_2}", 1)
    cap = Capture(format=first, origin=origin)
    records = 0
    line = s.need("a record or 'end'")
    while True:
        kind, _, rest = line.partition(" ")
        here = s.lineno
        if kind == "end":
            if not rest.isdigit() or int(rest) != records:
                raise s.fail(f"'end {rest}' does not match the {records} records read (cut or edited)")
            if s.pos != len(data):
                raise s.fail("data after the end line")
            return cap
        if kind == "meta":
            key, _, value = rest.partition(" ")
            cap.meta[key] = value
            if key == "taken_at":
                cap.taken_at = value
        elif kind == "command":
            argv = tuple(rest.split(" "))
            if not rest or not all(_WORD.match(w) for w in argv):
                raise s.fail(f"command {rest[:60]!r}: not a list of words")
            outcome = s.need("'status N', 'timeout N' or 'missing'")
            if outcome == "missing":
                cap.commands[argv] = Recorded("", "", 127, missing=True)
            else:
                st = outcome.split()
                if len(st) != 2 or st[0] not in ("status", "timeout") or not st[1].isdigit():
                    raise s.fail(f"expected 'status N', 'timeout N' or 'missing', found {outcome[:60]!r}")
                stdout = _text(s.blob("stdout"))
                stderr = _text(s.blob("stderr"))
                if st[0] == "timeout":
                    cap.commands[argv] = Recorded(stdout, stderr, 124, timeout=float(st[1]))
                else:
                    cap.commands[argv] = Recorded(stdout, stderr, int(st[1]))
            records += 1
        elif kind == "file":
            if not _WORD.match(rest) or not rest.startswith("/"):
                raise s.fail(f"file {rest[:60]!r}: not an absolute path")
            outcome = s.need("'absent', 'content' or 'error'")
            if outcome == "absent":
                cap.absent.add(rest)
            elif outcome.startswith("content "):
                cap.files[rest] = _text(s.blob("content", outcome))
            elif outcome.startswith("error "):
                why = _text(s.blob("error", outcome)).strip().splitlines()
                cap.unreadable[rest] = why[0] if why else "could not be read"
            else:
                raise s.fail(f"expected 'absent', 'content' or 'error', found {outcome[:60]!r}")
            records += 1
        elif kind == "glob":
            if not _WORD.match(rest):
                raise s.fail(f"glob {rest[:60]!r}: not a pattern")
            matches: list[str] = []
            line = s.need("'match PATH' or a record")
            while line.startswith("match "):
                path = line[len("match ") :]
                if not _WORD.match(path) or not fnmatch.fnmatchcase(path, rest):
                    raise s.fail(f"match {path[:60]!r} does not match {rest!r}")
                matches.append(path)
                line = s.need("'match PATH' or a record")
            cap.globs[rest] = tuple(matches)
            records += 1
            continue
        else:
            raise s.fail(f"unknown record {kind[:30]!r}", here)
        line = s.need("a record or 'end'")


# ------------------------------------------------------------------ writing


def _frame(label: str, body: bytes) -> bytes:
    return f"{label} {cksum(body)} {len(body)}\n".encode("ascii") + body + b"\n"


def stream_bytes(cap: Capture) -> bytes:
    """``cap`` as an ``ipmpd-capture/2`` stream, the collector's layout."""
    out = [f"{FORMAT_2}\n".encode("ascii")]
    meta = dict(cap.meta)
    if cap.taken_at:
        meta["taken_at"] = cap.taken_at
    for key, value in sorted(meta.items()):
        out.append(f"meta {key} {value}\n".encode("ascii", "replace"))
    records = 0
    for argv, rec in cap.commands.items():
        if not all(_WORD.match(w) for w in argv):
            continue  # never written: not a word the stream can frame
        out.append(("command " + " ".join(argv) + "\n").encode("ascii"))
        if rec.missing:
            out.append(b"missing\n")
        else:
            if rec.timeout is not None:
                out.append(f"timeout {int(rec.timeout)}\n".encode("ascii"))
            else:
                out.append(f"status {rec.exit}\n".encode("ascii"))
            out.append(_frame("stdout", rec.stdout.encode("utf-8")))
            out.append(_frame("stderr", rec.stderr.encode("utf-8")))
        records += 1
    for pattern, matches in sorted(cap.globs.items()):
        if not _WORD.match(pattern):
            continue
        out.append(f"glob {pattern}\n".encode("ascii"))
        # a name the stream cannot frame is one no source reads (the collector skips it too)
        out.extend(f"match {m}\n".encode("ascii") for m in matches if _WORD.match(m))
        records += 1
    for path in sorted(set(cap.files) | cap.absent | set(cap.unreadable)):
        if not _WORD.match(path):
            continue
        out.append(f"file {path}\n".encode("ascii"))
        if path in cap.files:
            out.append(_frame("content", cap.files[path].encode("utf-8")))
        elif path in cap.unreadable:
            out.append(_frame("error", cap.unreadable[path].encode("utf-8") + b"\n"))
        else:
            out.append(b"absent\n")
        records += 1
    out.append(f"end {records}\n".encode("ascii"))
    return b"".join(out)


def _safe_name(parts: Iterable[str]) -> str:
    return re.sub(r"[^A-Za-z0-9._,-]+", "_", "_".join(parts)).strip("_")[:120] or "output"


def write_dir(cap: Capture, directory: str | os.PathLike[str]) -> Path:
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

    commands: list[dict[str, Any]] = []
    for argv, rec in cap.commands.items():
        if rec.missing:
            commands.append({"argv": list(argv), "missing": True})
            continue
        stem = unique(_safe_name(argv))
        entry: dict[str, Any] = {"argv": list(argv), "stdout": f"{stem}.out"}
        (out / f"{stem}.out").write_text(rec.stdout, encoding="utf-8")
        if rec.stderr:
            entry["stderr"] = f"{stem}.err"
            (out / f"{stem}.err").write_text(rec.stderr, encoding="utf-8")
        entry["exit"] = rec.exit
        if rec.timeout is not None:
            entry["timeout"] = rec.timeout
        commands.append(entry)
    files: list[dict[str, Any]] = []
    for path, text in sorted(cap.files.items()):
        stem = unique(_safe_name(path.strip("/").split("/")))
        (out / stem).write_text(text, encoding="utf-8")
        files.append({"path": path, "content": stem})
    files += [{"path": p, "error": why} for p, why in sorted(cap.unreadable.items())]
    files += [{"path": p, "absent": True} for p in sorted(cap.absent - set(cap.files))]
    manifest: dict[str, Any] = {
        "format": CAPTURE_FORMAT,
        "taken_at": cap.taken_at,
        "commands": commands,
        "files": files,
        "globs": [{"pattern": p, "matches": list(m)} for p, m in sorted(cap.globs.items())],
    }
    # The manifest is what makes the directory a capture: it appears whole, last.
    partial = out / f".{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, out / MANIFEST)
    return out


def summary(cap: Capture, where: str = "the host") -> str:
    """What a capture holds, in words (``13 commands, 9 files (8 read, 1
    absent), 2 directory listings``).  Given the capture as read back from
    what was written, it counts what is there."""

    def n(count: int, what: str) -> str:
        return f"{count} {what}{'' if count == 1 else 's'}"

    missing = sum(1 for r in cap.commands.values() if r.missing)
    commands = n(len(cap.commands), "command")
    if missing:
        commands += f" ({len(cap.commands) - missing} run, {missing} not found on {where})"
    absent = cap.absent - set(cap.files)
    unreadable = set(cap.unreadable) - set(cap.files) - absent
    files = n(len(cap.files) + len(absent) + len(unreadable), "file")
    if absent or unreadable:
        kinds = ((len(cap.files), "read"), (len(absent), "absent"), (len(unreadable), "unreadable"))
        files += " (" + ", ".join(f"{k} {what}" for k, what in kinds if k) + ")"
    return f"{commands}, {files}, {n(len(cap.globs), 'directory listing')}"


# ------------------------------------------------------------------ destinations


def _cannot(path: str, e: OSError) -> CaptureError:
    if isinstance(e, FileNotFoundError):
        parent = os.path.dirname(os.path.abspath(path))
        return CaptureError(f"{path}: cannot write: the directory {parent} does not exist")
    return CaptureError(f"{path}: cannot write: {e.strerror or e}")


class DirDestination:
    """``ipmpd capture --out DIR``: claimed before the gather, so a path that
    cannot take a capture fails before any command runs; then written whole
    or removed.

    DIR is created (its parent must exist), or is an existing empty
    directory: a directory that holds anything, another capture above all,
    is refused, never mixed with this one."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.out = Path(path)
        self.created = False

    def claim(self) -> None:
        try:
            self.out.mkdir()
            self.created = True
        except FileExistsError:
            if not self.out.is_dir():
                raise CaptureError(f"{self.path}: exists and is not a directory") from None
            try:
                entries = os.listdir(self.out)
            except OSError as e:
                raise _cannot(self.path, e) from None
            if MANIFEST in entries:
                raise CaptureError(
                    f"{self.path}: already holds a capture ({MANIFEST}); "
                    "write to a new or empty directory, never over another capture"
                ) from None
            if entries:
                raise CaptureError(
                    f"{self.path}: not empty ({len(entries)} entries); write to a new or empty directory"
                ) from None
        except OSError as e:
            raise _cannot(self.path, e) from None
        probe = self.out / f".{MANIFEST}.partial"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as e:
            self.abandon()
            raise _cannot(self.path, e) from None

    def write(self, cap: Capture) -> Capture:
        """Write ``cap`` and return it as read back from the directory."""
        try:
            write_dir(cap, self.out)
        except OSError as e:
            self.abandon()
            raise _cannot(self.path, e) from None
        return read_dir(self.out)

    def abandon(self) -> None:
        """Remove what was written: the directory if it was created here, else its entries."""
        if self.created:
            shutil.rmtree(self.out, ignore_errors=True)
            return
        try:
            names = os.listdir(self.out)
        except OSError:
            return
        for name in names:
            with contextlib.suppress(OSError):
                (self.out / name).unlink()


class StreamDestination:
    """``ipmpd capture --stream FILE``: a regular file is written beside its
    place and renamed over it once whole; a device or a pipe (``/dev/null``,
    a FIFO) is written as it is.  Claimed before the gather."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.real = os.path.realpath(path)
        self.partial: Optional[str] = None
        self.fd: Optional[int] = None

    def claim(self) -> None:
        if os.path.isdir(self.real):
            raise CaptureError(f"{self.path}: is a directory (--out writes a capture directory)")
        if os.path.exists(self.real) and not os.path.isfile(self.real):
            if not os.access(self.real, os.W_OK):
                raise CaptureError(f"{self.path}: cannot write: Permission denied")
            return
        head, tail = os.path.split(self.real)
        partial = os.path.join(head, f".{tail}.{os.getpid()}.partial")
        try:
            self.fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as e:
            raise _cannot(self.path, e) from None
        self.partial = partial

    def write(self, cap: Capture) -> Capture:
        """Write ``cap`` and return it as read back from the bytes written."""
        data = stream_bytes(cap)
        try:
            if self.fd is None:
                with open(self.real, "wb") as f:
                    f.write(data)
            else:
                with os.fdopen(self.fd, "wb") as f:
                    self.fd = None
                    f.write(data)
                assert self.partial is not None
                os.replace(self.partial, self.real)
                self.partial = None
        except OSError as e:
            self.abandon()
            raise _cannot(self.path, e) from None
        return read_stream(data, self.path)

    def abandon(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None
        if self.partial is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.partial)
            self.partial = None
