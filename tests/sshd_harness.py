"""A real OpenSSH server on 127.0.0.1, started as the current user.

Debian's ``sshd`` (extracted into .tools/openssh by tools/install-test-tools),
with host and user keys made by ``ssh-keygen`` in a temporary directory, on
a random loopback port.  Its log is kept, so tests can count connections.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Optional

from helpers import REPO, free_port

from ipmpd.config import TargetConfig

SSHD_CANDIDATES = (REPO / ".tools" / "openssh" / "usr" / "sbin" / "sshd", Path("/usr/sbin/sshd"))


def sshd_binary() -> Optional[str]:
    for c in SSHD_CANDIDATES:
        if c.exists():
            return str(c)
    return None


def keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ipmpd-test", "-f", str(path)],
        check=True,
        capture_output=True,
    )


class Sshd:
    def __init__(self, base: Path, max_startups: int = 200) -> None:
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        self.host_key = base / "host_key"
        self.user_key = base / "user_key"
        keygen(self.host_key)
        keygen(self.user_key)
        (base / "authorized_keys").write_text((base / "user_key.pub").read_text())
        self.port = free_port()
        self.user = getpass.getuser()
        self.log = base / "sshd.log"
        self.config = base / "sshd_config"
        self.config.write_text(
            f"ListenAddress 127.0.0.1:{self.port}\n"
            f"HostKey {self.host_key}\n"
            f"AuthorizedKeysFile {base / 'authorized_keys'}\n"
            f"PidFile {base / 'sshd.pid'}\n"
            "StrictModes no\n"
            "PasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\n"
            "UsePAM no\n"
            "PermitRootLogin prohibit-password\n"
            f"MaxStartups {max_startups}\n"
            "MaxSessions 50\n"
            "LogLevel INFO\n"
        )
        self.known_hosts = base / "known_hosts"
        pub = (base / "host_key.pub").read_text().split()
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {pub[0]} {pub[1]}\n")
        self.proc: Optional[subprocess.Popen[bytes]] = None

    def start(self) -> Sshd:
        binary = sshd_binary()
        assert binary, "sshd is not installed: run tools/install-test-tools (.ci/run does)"
        self.proc = subprocess.Popen(
            [binary, "-D", "-e", "-f", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "ab"),
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    if s.recv(4).startswith(b"SSH"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"sshd did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def connections(self) -> int:
        """Sessions the server authenticated: one per TCP connection."""
        return self.log.read_text(errors="replace").count("Accepted publickey")

    def target_config(self, name: str, path: str, root: str = "/") -> TargetConfig:
        """The [[target]] of ``target_toml``, built directly."""
        return TargetConfig(
            name,
            "127.0.0.1",
            self.user,
            str(self.user_key),
            str(self.known_hosts),
            port=self.port,
            path=path,
            root=root,
        )

    def target_toml(self, name: str, path: str, root: str = "/", extra: str = "") -> str:
        return (
            "[[target]]\n"
            f'name = "{name}"\n'
            'host = "127.0.0.1"\n'
            f"port = {self.port}\n"
            f'user = "{self.user}"\n'
            f'identity_file = "{self.user_key}"\n'
            f'known_hosts = "{self.known_hosts}"\n'
            f'path = "{path}"\n'
            f'root = "{root}"\n' + extra
        )


def have_sshd() -> bool:
    return sshd_binary() is not None and shutil.which("ssh") is not None and os.name == "posix"
