"""One renderer: a remedy's actions as the commands of one platform.

Solaris 10 has hostname files, ``dladm show-dev`` and no ipadm; Solaris 11
has ipadm and no hostname files; illumos has both.  An action a platform
cannot perform raises ``ValueError`` -- a check that produced it is wrong,
and the tests render every remedy for its host's platform.  Names that are
not plain words are shell-quoted.
"""

from __future__ import annotations

import shlex

from ipmpd.remedy import actions as a

HOSTNAME_FILE_PLATFORMS = ("solaris10", "illumos")
IPADM_PLATFORMS = ("solaris11", "illumos")
DLADM_SHOW_PHYS = ("solaris11", "illumos")


def _q(word: str) -> str:
    return shlex.quote(word) if word else '""'


def _fam(family: str) -> str:
    return " inet6" if family == "ipv6" else ""


def _needs(platform: str, allowed: tuple[str, ...], action: a.Action) -> None:
    if platform not in allowed:
        raise ValueError(f"{action.KIND} is not available on {platform}")


def render_action(action: a.Action, platform: str) -> tuple[str, ...]:
    if isinstance(action, a.SetGroup):
        return (f"ifconfig {_q(action.interface)} group {_q(action.group)}",)
    if isinstance(action, a.Plumb):
        up = " up" if action.up else ""
        return (f"ifconfig {_q(action.interface)}{_fam(action.family)} plumb{up}",)
    if isinstance(action, a.BringUpFromBootFile):
        _needs(platform, HOSTNAME_FILE_PLATFORMS, action)
        head = f"ifconfig {_q(action.interface)}{_fam(action.family)}"
        runs = tuple(f"{head} {' '.join(words)}" for words in action.commands if words)
        return (f"{head} {'ipmp' if action.ipmp else 'plumb'}",) + runs
    if isinstance(action, a.CreateIpmpInterface):
        _needs(platform, ("illumos",), action)
        return (f"ifconfig {_q(action.interface)} ipmp group {_q(action.group)} up",)
    if isinstance(action, (a.ModRemove, a.ModInsert)):
        return (f"ifconfig {_q(action.interface)} {action.KIND} {_q(action.module)}@{action.position}",)
    if isinstance(action, a.Reattach):
        return (f"if_mpadm -r {_q(action.interface)}",)
    if isinstance(action, a.WriteBootFile):
        _needs(platform, HOSTNAME_FILE_PLATFORMS, action)
        if not action.content:
            return (f": > {action.path}",)
        body = action.content if action.content.endswith("\n") else action.content + "\n"
        return (f"cat > {action.path} <<'IPMPD_EOF'\n{body}IPMPD_EOF",)
    if isinstance(action, a.SetMacAddress):
        _needs(platform, DLADM_SHOW_PHYS, action)
        return (f"dladm set-linkprop -p mac-address=<unique MAC> {_q(action.link)}",)
    if isinstance(action, a.SetEeprom):
        return (f"eeprom {_q(f'{action.name}={action.value}')}  # takes effect at the next boot",)
    if isinstance(action, a.IpadmCreateIp):
        _needs(platform, IPADM_PLATFORMS, action)
        return (f"ipadm create-ip {_q(action.interface)}",)
    if isinstance(action, a.IpadmCreateIpmp):
        _needs(platform, IPADM_PLATFORMS, action)
        return (f"ipadm create-ipmp {_q(action.interface)}",)
    if isinstance(action, a.IpadmAddIpmp):
        _needs(platform, IPADM_PLATFORMS, action)
        members = " ".join(f"-i {_q(i)}" for i in action.interfaces)
        return (f"ipadm add-ipmp {members} {_q(action.ipmp_interface)}",)
    if isinstance(action, a.ShowLink):
        verb = "show-phys" if platform in DLADM_SHOW_PHYS else "show-dev"
        return (f"dladm {verb} {_q(action.link)}  # look at the link: cabling, switch port",)
    if isinstance(action, a.ShowIpmp):
        if platform == "solaris10":
            return ("ifconfig -a  # look at the members' FAILED and OFFLINE flags",)
        return (f"ipmpstat -i  # look at the members of {action.group}",)
    if isinstance(action, a.Manual):
        return (f"# by hand: {action.text}",)
    if isinstance(action, a.Note):
        return (f"# {action.text}",)
    raise TypeError(f"not an action: {action!r}")


def render(remedy: a.Remedy, platform: str) -> tuple[str, ...]:
    """The remedy as commands for ``platform``; a host whose platform is unknown
    gets every step as a by-hand line."""
    if platform not in ("solaris10", "solaris11", "illumos"):
        return tuple(f"# by hand (platform unknown): {line}" for x in remedy for line in _describe(x))
    out: list[str] = []
    for action in remedy:
        out.extend(render_action(action, platform))
    if a.verification(remedy) == a.BY_HAND and not any(isinstance(x, a.Manual) for x in remedy):
        out.append("# verify by hand: ipmpd cannot prove this fix")
    return tuple(out)


def _describe(action: a.Action) -> tuple[str, ...]:
    if isinstance(action, (a.Manual, a.Note)):
        return (action.text,)
    fields = ", ".join(f"{k}={v!r}" for k, v in a.action_dict(action).items() if k != "action")
    return (f"{action.KIND} ({fields})",)
