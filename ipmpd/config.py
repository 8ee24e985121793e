"""``ipmpd.toml``: read once, validated whole, every problem reported together.

Each problem names the file, the key path and why, e.g.
``/etc/ipmpd/ipmpd.toml: group[1].interfaces[0]: "e1000g4:1" is a logical interface``.
An unknown key is an error, never silently ignored.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from typing import Any, Optional

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Solaris 11.4's Python 3.9
    import tomli as tomllib

from ipmpd.runner import DEFAULT_PATH
from ipmpd.sources import LINK_NAME

DEFAULT_CONFIG = "/etc/ipmpd/ipmpd.toml"
DEFAULT_PORT = 9742
DEFAULT_LISTEN = f"0.0.0.0:{DEFAULT_PORT}"
SEVERITIES = ("info", "warning", "error")
# if.h: LIFGRNAMSIZ 32, so a group name holds at most 31 characters.
LIFGRNAMSIZ = 32
# Solaris 10 IP Filter pushes the "pfil" STREAMS module between ip and the
# driver (ipfilter(5), SunOS 5.10; the pfil README's modinsert pfil@2); it
# keeps per-stream state, which the planning procedure warns breaks failover.
DEFAULT_STATEFUL = ("pfil",)
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


class ConfigError(Exception):
    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}: {p}" for p in problems))


@dataclass(frozen=True)
class GroupConfig:
    name: str
    interfaces: tuple[str, ...]
    modules: Optional[tuple[str, ...]] = None
    families: Optional[tuple[str, ...]] = None
    allow_single: bool = False


@dataclass(frozen=True)
class DaemonConfig:
    interval: float = 60.0
    modlist_interval: float = 0.0  # off: ifconfig IF modlist relinks the IP stream (opt-in)
    listen: str = DEFAULT_LISTEN
    tls_cert_file: Optional[str] = None
    tls_key_file: Optional[str] = None
    path: str = DEFAULT_PATH
    command_timeout: float = 10.0
    root: str = "/"


@dataclass(frozen=True)
class ChecksConfig:
    stateful_modules: tuple[str, ...] = DEFAULT_STATEFUL
    severity: tuple[tuple[str, str], ...] = ()  # (code or name, severity)
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    checks: ChecksConfig = field(default_factory=ChecksConfig)
    groups: tuple[GroupConfig, ...] = ()
    path: Optional[str] = None

    def group(self, name: str) -> Optional[GroupConfig]:
        for g in self.groups:
            if g.name == name:
                return g
        return None


def parse_duration(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError('must be a duration like "60s", "5m" or "1h"')
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("must not be negative")
        return float(value)
    if isinstance(value, str):
        m = _DURATION.match(value.strip())
        if m:
            return float(m.group(1)) * _UNITS[m.group(2)]
    raise ValueError(f'{value!r} is not a duration like "60s", "5m" or "1h"')


def parse_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not ADDRESS:PORT")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)


class _Validator:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def err(self, key: str, why: str) -> None:
        self.problems.append(f"{key}: {why}")

    def table(self, data: Any, key: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.err(key, "must be a table")
            return {}
        for k in sorted(set(data) - allowed):
            self.err(f"{key}.{k}" if key else k, "unknown key")
        return data

    def string_list(self, value: Any, key: str) -> Optional[tuple[str, ...]]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.err(key, "must be a list of strings")
            return None
        return tuple(value)


def _known_checks() -> tuple[set[str], set[str]]:
    from ipmpd.checks import REGISTRY

    return {c.code for c in REGISTRY}, {c.name for c in REGISTRY}


def load(path: str, text: Optional[str] = None) -> Config:
    """Read and validate ``path`` (or ``text`` as if it were that file)."""
    if text is None:
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError as e:
            raise ConfigError(path, [f"cannot read: {e.strerror or e}"]) from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ConfigError(path, [f"not UTF-8: {e}"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(path, [f"not valid TOML: {e}"]) from None
    return validate(data, path)


def validate(data: dict[str, Any], path: str) -> Config:
    v = _Validator()
    top = v.table(data, "", {"daemon", "checks", "group"})
    daemon = _daemon(v, top.get("daemon", {}))
    checks = _checks(v, top.get("checks", {}))
    groups = _groups(v, top.get("group", []))
    if v.problems:
        raise ConfigError(path, v.problems)
    return Config(daemon, checks, groups, path)


def _daemon(v: _Validator, raw: Any) -> DaemonConfig:
    d = v.table(
        raw,
        "daemon",
        {
            "interval",
            "modlist_interval",
            "listen",
            "tls_cert_file",
            "tls_key_file",
            "path",
            "command_timeout",
            "root",
        },
    )
    out: dict[str, Any] = {}
    for key, minimum in (("interval", 1.0), ("modlist_interval", 0.0), ("command_timeout", 0.1)):
        if key in d:
            try:
                value = parse_duration(d[key])
            except ValueError as e:
                v.err(f"daemon.{key}", str(e))
                continue
            if value < minimum and not (key == "modlist_interval" and value == 0):
                v.err(f"daemon.{key}", f"must be at least {minimum:g}s")
                continue
            out[key] = value
    if "listen" in d:
        if not isinstance(d["listen"], str):
            v.err("daemon.listen", "must be a string ADDRESS:PORT")
        else:
            try:
                parse_listen(d["listen"])
                out["listen"] = d["listen"]
            except ValueError as e:
                v.err("daemon.listen", str(e))
    for key in ("tls_cert_file", "tls_key_file", "path", "root"):
        if key in d:
            if isinstance(d[key], str) and d[key]:
                out[key] = d[key]
            else:
                v.err(f"daemon.{key}", "must be a non-empty string")
    if ("tls_cert_file" in out) != ("tls_key_file" in out):
        v.err("daemon.tls_key_file", "tls_cert_file and tls_key_file go together")
    return DaemonConfig(**out)


def _checks(v: _Validator, raw: Any) -> ChecksConfig:
    c = v.table(raw, "checks", {"stateful_modules", "severity", "ignore"})
    codes, names = _known_checks()
    out: dict[str, Any] = {}
    if "stateful_modules" in c:
        mods = v.string_list(c["stateful_modules"], "checks.stateful_modules")
        if mods is not None:
            out["stateful_modules"] = mods
    if "severity" in c:
        sev = c["severity"]
        if not isinstance(sev, dict):
            v.err("checks.severity", 'must be a table of CHECK = "severity"')
        else:
            pairs = []
            for k, val in sev.items():
                if k not in codes and k not in names:
                    v.err(f"checks.severity.{k}", "no such check code or name")
                elif val not in SEVERITIES:
                    v.err(f"checks.severity.{k}", f"{val!r} is not one of {', '.join(SEVERITIES)}")
                else:
                    pairs.append((k, val))
            out["severity"] = tuple(pairs)
    if "ignore" in c:
        ign = v.string_list(c["ignore"], "checks.ignore")
        if ign is not None:
            for k, name in enumerate(ign):
                if name not in codes and name not in names:
                    v.err(f"checks.ignore[{k}]", f"{name!r} is no such check code or name")
            out["ignore"] = ign
    return ChecksConfig(**out)


def _groups(v: _Validator, raw: Any) -> tuple[GroupConfig, ...]:
    if not isinstance(raw, list):
        v.err("group", "must be an array of tables ([[group]])")
        return ()
    out = []
    seen: set[str] = set()
    for n, g in enumerate(raw):
        key = f"group[{n}]"
        d = v.table(g, key, {"name", "interfaces", "modules", "families", "allow_single"})
        if not d:
            continue
        name = d.get("name")
        if not isinstance(name, str) or not name:
            v.err(f"{key}.name", "must be a non-empty string")
            name = None
        elif any(ord(c) < 32 or ord(c) == 127 for c in name):
            v.err(f"{key}.name", "control characters are not allowed")
        elif len(name) >= LIFGRNAMSIZ:
            v.err(f"{key}.name", f"longer than {LIFGRNAMSIZ - 1} characters (LIFGRNAMSIZ)")
        elif name in seen:
            v.err(f"{key}.name", f"group {name!r} is configured twice")
        else:
            seen.add(name)
        ifs = v.string_list(d.get("interfaces"), f"{key}.interfaces")
        if ifs is not None:
            for k, i in enumerate(ifs):
                if ":" in i:
                    v.err(f"{key}.interfaces[{k}]", f"{i!r} is a logical interface")
                elif not LINK_NAME.match(i):
                    v.err(f"{key}.interfaces[{k}]", f"{i!r} is not a valid link name")
        mods = None
        if "modules" in d:
            mods = v.string_list(d["modules"], f"{key}.modules")
        fams = None
        if "families" in d:
            fams = v.string_list(d["families"], f"{key}.families")
            for k, fam in enumerate(fams or ()):
                if fam not in ("ipv4", "ipv6"):
                    v.err(f"{key}.families[{k}]", f"{fam!r} is not ipv4 or ipv6")
        allow = d.get("allow_single", False)
        if not isinstance(allow, bool):
            v.err(f"{key}.allow_single", "must be true or false")
            allow = False
        if name and ifs is not None:
            out.append(GroupConfig(name, ifs, mods, tuple(sorted(fams)) if fams else None, allow))
    return tuple(out)
