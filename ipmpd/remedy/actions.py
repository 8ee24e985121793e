"""Remedies as data: one frozen dataclass per thing a fix does to a host.

A check returns a remedy as a tuple of these actions; ``render.py`` turns
them into the platform's commands and ``simulate.py`` applies them to a
snapshot, so the text an administrator pastes and the thing the tests prove
are the same object.  Nothing here formats a command.

Actions the simulator can apply are *modelled*.  ``Manual`` and the
diagnostic actions (``ShowLink``, ``ShowIpmp``) are display-only: a remedy
holding one is "verify by hand", never called proven.  ``Note`` explains and
changes nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Optional, Union


@dataclass(frozen=True)
class SetGroup:
    """Put a plumbed interface in a group now (``group=""`` takes it out)."""

    KIND: ClassVar[str] = "set-group"
    interface: str
    group: str


@dataclass(frozen=True)
class Plumb:
    """Plumb one address family of an interface now, optionally bringing it up."""

    KIND: ClassVar[str] = "plumb"
    interface: str
    family: str = "ipv4"
    up: bool = False


@dataclass(frozen=True)
class BringUpFromBootFile:
    """Plumb an interface and run what net-physical would run from its boot file.

    ``commands`` are the ifconfig argument lists ``inet_process_hostname()``
    derives from the file (see ``bootfile.commands``); ``ipmp``: the file
    makes an IPMP interface (net-physical plumbs it with ``ifconfig IF ipmp``)."""

    KIND: ClassVar[str] = "bring-up-from-boot-file"
    interface: str
    family: str
    path: str
    commands: tuple[tuple[str, ...], ...]
    ipmp: bool = False


@dataclass(frozen=True)
class CreateIpmpInterface:
    """Plumb an IPMP interface for a group now (illumos: ``ifconfig NAME ipmp group G up``)."""

    KIND: ClassVar[str] = "create-ipmp-interface"
    interface: str
    group: str


@dataclass(frozen=True)
class ModRemove:
    KIND: ClassVar[str] = "modremove"
    interface: str
    module: str
    position: int


@dataclass(frozen=True)
class ModInsert:
    KIND: ClassVar[str] = "modinsert"
    interface: str
    module: str
    position: int


@dataclass(frozen=True)
class Reattach:
    """Bring an offlined member back (``if_mpadm -r``)."""

    KIND: ClassVar[str] = "reattach"
    interface: str


@dataclass(frozen=True)
class WriteBootFile:
    """Write a hostname file with its whole content (``previous`` None: a new file)."""

    KIND: ClassVar[str] = "write-boot-file"
    path: str
    content: str
    previous: Optional[str]

    @property
    def interface(self) -> str:
        return self.path.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class SetMacAddress:
    """Give a datalink a unique MAC address (the administrator chooses it)."""

    KIND: ClassVar[str] = "set-mac-address"
    link: str


@dataclass(frozen=True)
class SetEeprom:
    """Set an OpenBoot variable; it takes effect at the next boot."""

    KIND: ClassVar[str] = "set-eeprom"
    name: str
    value: str


@dataclass(frozen=True)
class IpadmCreateIp:
    KIND: ClassVar[str] = "ipadm-create-ip"
    interface: str


@dataclass(frozen=True)
class IpadmCreateIpmp:
    KIND: ClassVar[str] = "ipadm-create-ipmp"
    interface: str


@dataclass(frozen=True)
class IpadmAddIpmp:
    KIND: ClassVar[str] = "ipadm-add-ipmp"
    interfaces: tuple[str, ...]
    ipmp_interface: str


@dataclass(frozen=True)
class ShowLink:
    """Look at a datalink's state (diagnosis, changes nothing)."""

    KIND: ClassVar[str] = "show-link"
    link: str


@dataclass(frozen=True)
class ShowIpmp:
    """Look at the group's members' state (diagnosis, changes nothing)."""

    KIND: ClassVar[str] = "show-ipmp"
    group: str


@dataclass(frozen=True)
class Manual:
    """A step ipmpd cannot write as a command it has proven: verify by hand."""

    KIND: ClassVar[str] = "by-hand"
    text: str


@dataclass(frozen=True)
class Note:
    """An explanation shown with the remedy; changes nothing."""

    KIND: ClassVar[str] = "note"
    text: str


Action = Union[
    SetGroup,
    Plumb,
    BringUpFromBootFile,
    CreateIpmpInterface,
    ModRemove,
    ModInsert,
    Reattach,
    WriteBootFile,
    SetMacAddress,
    SetEeprom,
    IpadmCreateIp,
    IpadmCreateIpmp,
    IpadmAddIpmp,
    ShowLink,
    ShowIpmp,
    Manual,
    Note,
]
Remedy = tuple[Action, ...]

DISPLAY_ONLY = (Manual, ShowLink, ShowIpmp)
PROVEN, BY_HAND = "simulated", "by hand"


def verification(remedy: Remedy) -> str:
    """``simulated`` when the simulator models every action, else ``by hand``."""
    if not remedy or any(isinstance(a, DISPLAY_ONLY) for a in remedy):
        return BY_HAND
    return PROVEN


def at_next_boot(remedy: Remedy) -> bool:
    """True when the remedy only takes effect after a reboot (an OpenBoot change)."""
    return any(isinstance(a, SetEeprom) for a in remedy)


def action_dict(action: Action) -> dict[str, Any]:
    out: dict[str, Any] = {"action": action.KIND}
    for f in dataclasses.fields(action):
        value = getattr(action, f.name)
        if f.name == "commands":  # argument lists, one per ifconfig run
            value = [list(words) for words in value]
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def interfaces(remedy: Remedy) -> set[str]:
    """The interfaces the remedy changes."""
    out: set[str] = set()
    for a in remedy:
        if isinstance(a, IpadmAddIpmp):
            out.update(a.interfaces)
        elif isinstance(a, SetMacAddress):
            out.add(a.link)
        elif isinstance(a, (WriteBootFile, SetGroup, Plumb, BringUpFromBootFile, ModRemove, ModInsert)):
            out.add(a.interface.split(":", 1)[0])
        elif isinstance(a, (Reattach, IpadmCreateIp, IpadmCreateIpmp, CreateIpmpInterface)):
            out.add(a.interface)
    return out
