"""The daemon's TLS: its server context from ``[daemon] tls_cert_file`` and
``tls_key_file``, and whether this Python can serve at all.

``ssl`` is imported only inside these functions: Pythons built without
OpenSSL (common among self-built ones on Solaris) still run every command
but ``ipmpd run``, which prometheus_client's import of ``ssl`` stops.
"""

from __future__ import annotations

import platform
import sys
from typing import TYPE_CHECKING, Optional

from ipmpd.config import Config, ConfigError

if TYPE_CHECKING:
    import ssl


def tls_context(config: Config, unreadable_ok: bool = False) -> Optional[ssl.SSLContext]:
    """The server TLS context, or None without TLS; raises ConfigError naming
    the file when the certificate or key cannot be loaded, and ImportError
    when this Python has no ssl module.

    With ``unreadable_ok`` a file this user may not read is not judged
    (None): ``ipmpd check`` may run as another user than the daemon (NRPE
    runs its commands unprivileged), and a key readable by the daemon's user
    alone is right."""
    d = config.daemon
    if not (d.tls_cert_file and d.tls_key_file):
        return None
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(d.tls_cert_file, d.tls_key_file)
    except (OSError, ssl.SSLError) as e:
        if unreadable_ok and isinstance(e, PermissionError):
            return None
        where = config.path or "the configuration"
        why = getattr(e, "strerror", None) or str(e)
        problem = f"daemon.tls_cert_file: cannot load {d.tls_cert_file} with the key {d.tls_key_file}: {why}"
        raise ConfigError(where, [problem]) from None
    return ctx


def missing_ssl() -> Optional[str]:
    """Why this Python cannot run the daemon, or None when it can:
    prometheus_client imports ``ssl``, and so does the HTTPS front."""
    try:
        import ssl  # noqa: F401
    except ImportError as e:
        here = f"{sys.executable or 'python'} {platform.python_version()}"
        return (
            f"this Python ({here}) has no ssl module ({e}): ipmpd run needs it "
            "(prometheus_client imports ssl); use a Python built with OpenSSL"
        )
    return None
