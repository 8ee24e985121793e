"""Start ``ipmpd run`` as a subprocess over fake Solaris commands, and talk to it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Callable, Optional

from helpers import REPO, fake_path, free_port, serve, stop_process, write_hostname_files


class Daemon:
    def __init__(
        self,
        tmp: Path,
        host: Path,
        fakebin: Path,
        extra: str = "",
        args: tuple[str, ...] = (),
        modlist_interval: Optional[str] = "1s",  # None: leave it at its default (off)
        interval: str = "1s",
        command_timeout: str = "2s",
        preexec_fn: Optional[Callable[[], None]] = None,
    ):
        self.port = free_port()
        self.host = host
        root = tmp / "root"
        write_hostname_files(host, root)
        serve(fakebin, host)
        self.config = tmp / "ipmpd.toml"
        self.base_config = (
            "[daemon]\n"
            f'interval = "{interval}"\n'
            + (f'modlist_interval = "{modlist_interval}"\n' if modlist_interval is not None else "")
            + f'command_timeout = "{command_timeout}"\n'
            f'listen = "127.0.0.1:{self.port}"\n'
            f'path = "{fake_path(fakebin)}"\n'
            f'root = "{root}"\n' + extra
        )
        self.config.write_text(self.base_config)
        self.log = tmp / "ipmpd.log"
        self._log = self.log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ipmpd", "run", "--config", str(self.config), *args],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            preexec_fn=preexec_fn,
            cwd=REPO,
        )

    def url(self, path: str = "/metrics") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str = "/metrics", timeout: float = 5) -> str:
        with urllib.request.urlopen(self.url(path), timeout=timeout) as r:
            return str(r.read(), "utf-8")

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 20, path: str = "/metrics") -> str:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"ipmpd exited {self.proc.returncode}: {self.log.read_text()}")
            try:
                last = self.get(path)
                if predicate(last):
                    return last
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(
            f"timed out waiting; last response:\n{last[-3000:]}\nlog:\n{self.log.read_text()[-3000:]}"
        )

    def events(self, name: Optional[str] = None) -> list[dict[str, object]]:
        """The daemon's log events so far; every line must be JSON (a
        half-written last line is left for the next read)."""
        out = []
        text = self.log.read_text()
        for line in text.splitlines(keepends=True):
            if not line.endswith("\n"):
                break
            event = json.loads(line)
            if name is None or event.get("event") == name:
                out.append(event)
        return out

    def wait_events(self, name: str, count: int = 1, timeout: float = 20) -> list[dict[str, object]]:
        """The ``name`` events once there are at least ``count`` of them (or at the deadline)."""
        deadline = time.monotonic() + timeout
        while len(self.events(name)) < count and time.monotonic() < deadline and self.proc.poll() is None:
            time.sleep(0.1)
        return self.events(name)

    def signal(self, sig: signal.Signals) -> None:
        self.proc.send_signal(sig)

    def stop(self) -> int:
        code = stop_process(self.proc)
        self._log.close()
        return code


def sample_value(text: str, prefix: str) -> Optional[float]:
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.rsplit(" ", 1)[1])
    return None
