"""Gathering a host over SSH: the shell collector piped into ``sh -s``.

One round trip per gather: the system OpenSSH client runs ``/bin/sh -s`` on
the target with the collector (``ipmpd/collect.sh``) on its standard input,
and what comes back is one ``ipmpd-capture/2`` stream, checked and parsed
before anything uses it.  The collector's arguments travel inside that
input, as a first line ``set -- ARG...`` of quoted words that ipmpd checked
(the remote PATH, link names): nothing from the configuration is put on the
ssh command line where the remote login shell would read it.

Host keys are always checked strictly against the target's own
``known_hosts`` (``StrictHostKeyChecking=yes``, no global file, no
``~/.ssh/config``).  The connection is reused across gathers: one master per
target (``ControlMaster``), started on first use in a private directory and
kept ``ControlPersist`` seconds after its last use.
"""

from __future__ import annotations

import math
import os
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from typing import Any, Optional

from ipmpd import capture as capture_mod
from ipmpd import collector
from ipmpd.capture import Capture, CaptureError
from ipmpd.config import DaemonConfig, TargetConfig
from ipmpd.runner import kill_group, read_capped, shielded
from ipmpd.sources import LINK_NAME

OUTPUT_CAP = 64 * 1024 * 1024


class CollectError(Exception):
    """The target could not be read: the reason, in words."""


def _first_line(text: str, default: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("@")]
    return lines[-1][:300] if lines else default


def _reason(stderr: str, target: TargetConfig) -> str:
    if "Host key verification failed" in stderr or "REMOTE HOST IDENTIFICATION HAS CHANGED" in stderr:
        return (
            f"host key verification failed: {target.host}'s key is not the one in {target.known_hosts} "
            "(a changed key is never accepted; check the host, then update known_hosts)"
        )
    return _first_line(stderr, "ssh failed with no message")


class SshRunner:
    """Reads one target with the collector over SSH; ``close()`` ends its master."""

    live = True

    def __init__(
        self,
        target: TargetConfig,
        timeout: float = 30.0,
        persist: float = 300.0,
        command_timeout: float = 10.0,
        ssh: str = "ssh",
        control_dir: Optional[str] = None,
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.persist = max(1, int(persist))
        self.command_timeout = max(1, math.ceil(command_timeout))
        self.ssh = ssh
        self._own_dir = control_dir is None
        self.control_dir = control_dir or tempfile.mkdtemp(prefix="ipmpd-ssh-")
        os.chmod(self.control_dir, 0o700)
        # One socket per target, named after it (a checked name), so a stale
        # one left by a master that died can be found and removed.
        self.control_path = os.path.join(self.control_dir, f"m-{target.name}")
        self._lock = threading.Lock()
        self._running: Optional[subprocess.Popen[bytes]] = None  # a modlist collection left to finish
        self._closed = False

    @classmethod
    def from_config(cls, target: TargetConfig, daemon: DaemonConfig) -> SshRunner:
        """With the [daemon] bounds: the round trip, each command, and a
        master kept three intervals after its last use."""
        return cls(
            target,
            timeout=daemon.target_timeout,
            persist=max(60.0, 3 * daemon.interval),
            command_timeout=daemon.command_timeout,
        )

    # ---------------------------------------------------------------- argv

    def _options(self) -> list[str]:
        t = self.target
        connect = max(1, min(int(self.timeout), 30))
        opts = [
            "-F",
            "/dev/null",  # no ~/.ssh/config: only what ipmpd.toml says
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            f"UserKnownHostsFile={t.known_hosts}",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "UpdateHostKeys=no",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            f"IdentityFile={t.identity_file}",
            "-o",
            f"ConnectTimeout={connect}",
            "-o",
            "ServerAliveInterval=10",
            "-o",
            "ServerAliveCountMax=3",
            "-o",
            f"ControlPath={self.control_path}",
            "-o",
            "LogLevel=ERROR",
            "-T",
            "-a",
            "-x",
        ]
        for opt in t.ssh_options:
            opts += ["-o", opt]
        return [*opts, "-p", str(t.port), "-l", t.user]

    def master_argv(self) -> list[str]:
        return [
            self.ssh,
            *self._options(),
            "-o",
            "ControlMaster=yes",
            "-o",
            f"ControlPersist={self.persist}",
            "-N",
            "-f",
            "--",
            self.target.host,
        ]

    def collect_argv(self) -> list[str]:
        return [self.ssh, *self._options(), "-o", "ControlMaster=no", "--", self.target.host, "/bin/sh -s"]

    def control_argv(self, command: str) -> list[str]:
        return [self.ssh, *self._options(), "-O", command, "--", self.target.host]

    def script(self, modlist: bool, extra: Iterable[str] = ()) -> bytes:
        """The collector with its arguments set on its first line."""
        t = self.target
        args = ["--path", t.path, "--timeout", str(self.command_timeout)]
        if t.root != "/":
            args += ["--root", t.root]
        if modlist:
            args.append("--modlist")
            if t.privilege == "pfexec":
                args.append("--pfexec")
        args += sorted({n for n in extra if LINK_NAME.match(n)})
        head = "set -- " + " ".join(shlex.quote(a) for a in args) + "\n"
        return head.encode("ascii") + collector.script().encode("utf-8")

    # ---------------------------------------------------------------- running

    def _env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}

    def _quick(self, argv: list[str], timeout: float) -> tuple[int, str]:
        """Run a short ssh control command; its output goes to a file, since a
        master that forks into the background keeps any pipe open."""
        with tempfile.TemporaryFile() as err:
            try:
                proc = self._popen(argv, subprocess.DEVNULL, err)
            except CollectError as e:
                return 127, str(e)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill(proc)
                return 124, f"no answer within {timeout:g}s"
            err.seek(0)
            return proc.returncode, str(err.read(65536), "utf-8", "replace")

    def master_alive(self) -> bool:
        rc, _ = self._quick(self.control_argv("check"), 5.0)
        return rc == 0

    def ensure_master(self, deadline: float) -> None:
        if self.master_alive():
            return
        # A socket left by a master that died would make the new master give
        # up multiplexing and linger as a plain connection nothing ends.
        try:
            os.unlink(self.control_path)
        except FileNotFoundError:
            pass
        left = max(1.0, deadline - time.monotonic())
        rc, err = self._quick(self.master_argv(), left)
        if rc != 0:
            raise CollectError(
                _reason(err, self.target) if rc != 124 else f"connecting timed out after {left:.0f}s"
            )

    def adopt(self, old: SshRunner) -> None:
        """Take over a modlist collection ``old`` left running: this runner
        starts none while it runs."""
        with old._lock:
            running = old._running
        with self._lock:
            self._running = running

    def busy(self) -> bool:
        """A collection with modlist outlived its timeout and still runs."""
        with self._lock:
            return self._running is not None and self._running.poll() is None

    def collect(self, modlist: bool = False, extra: Iterable[str] = ()) -> Capture:
        """Read the target once; raises CollectError with the reason."""
        if self._closed:
            raise CollectError("shutting down")
        if shutil.which(self.ssh) is None and not os.path.isabs(self.ssh):
            raise CollectError(f"the OpenSSH client ({self.ssh}) is not installed")
        if self.busy():
            raise CollectError("not started: the previous collection, with modlist, is still running")
        start = time.monotonic()
        deadline = start + self.timeout
        self.ensure_master(deadline)
        data = self.script(modlist, extra)
        proc = self._popen(self.collect_argv(), subprocess.PIPE, subprocess.PIPE)
        out, err = bytearray(), bytearray()
        over = threading.Event()
        readers = [
            threading.Thread(target=read_capped, args=(proc.stdout, out, OUTPUT_CAP, over.set), daemon=True),
            threading.Thread(target=read_capped, args=(proc.stderr, err, 65536, lambda: None), daemon=True),
        ]
        for r in readers:
            r.start()
        try:
            assert proc.stdin is not None
            proc.stdin.write(data)
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass  # ssh ended early: its status and stderr say why
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            if modlist:
                # A modlist is never interrupted: the collection is left to
                # finish (the collector ignores hangups while one runs) and the
                # next one waits for it; its output is read and dropped.
                with self._lock:
                    self._running = proc
                raise CollectError(
                    f"still running after {self.timeout:g}s (with modlist); left to finish, not killed"
                ) from None
            self._kill(proc)
            raise CollectError(f"timed out after {self.timeout:g}s") from None
        for r in readers:
            r.join(timeout=5)
        if over.is_set():
            raise CollectError(f"the collector's output exceeded {OUTPUT_CAP} bytes")
        text_err = str(bytes(err), "utf-8", "replace")
        if proc.returncode == 255:
            raise CollectError(_reason(text_err, self.target))
        if proc.returncode != 0:
            raise CollectError(
                f"the collector exited {proc.returncode}: {_first_line(text_err, 'no message')}"
            )
        try:
            return capture_mod.read_stream(bytes(out), f"target {self.target.name}")
        except CaptureError as e:
            raise CollectError(str(e)) from None

    def _popen(self, argv: list[str], stdout: Any, stderr: Any) -> subprocess.Popen[bytes]:
        """Start ssh with SIGHUP, SIGINT and SIGTERM blocked: SMF's refresh
        (``:kill -HUP``) signals every process in the service's contract, and
        must not cut a collection (or a modlist in it) short."""
        try:
            with shielded():
                return subprocess.Popen(
                    argv,
                    stdin=subprocess.PIPE if stdout is subprocess.PIPE else subprocess.DEVNULL,
                    stdout=stdout,
                    stderr=stderr,
                    env=self._env(),
                    start_new_session=True,
                )
        except OSError as e:
            raise CollectError(f"cannot run {self.ssh}: {e.strerror or e}") from None

    @staticmethod
    def _kill(proc: subprocess.Popen[bytes]) -> None:
        kill_group(proc)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        """End the master connection; a modlist collection still running is left to finish."""
        self._closed = True
        self._quick(self.control_argv("exit"), 5.0)
        if self._own_dir and not self.busy():
            shutil.rmtree(self.control_dir, ignore_errors=True)
