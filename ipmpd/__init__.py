"""ipmpd: keeps an IPMP group's planning rules true for the life of the host."""

__version__ = "0.1.0"
