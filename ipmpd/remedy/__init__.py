"""Remedies: typed actions (``actions``), built by ``compose``, rendered per
platform by ``render``, proven by ``simulate`` (apply, re-check, reboot)."""
