"""How many tabs one machine serves, and who can reach the server."""

from __future__ import annotations

import ipaddress
import os
import socket

# One open tab is one dojo process. tests/bench/bench_serve.py measured ~215 MiB PSS for a tab
# replaying checkout-retry-storm (less per tab when several share one cached incident); doubled,
# near enough, for the bigger scenarios.
SESSION_BYTES = 400 * 1024 * 1024
# A replaying workspace redraws every second: the benchmark measured ~11 % of a core per tab, so a
# core carries about six at 70 % use, leaving room to answer keys.
SESSIONS_PER_CPU = 6
# Memory left to everything else on the machine.
RESERVE_BYTES = 1024 * 1024 * 1024


def available_memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError):
        return None


def default_max_sessions(cpus: int | None = None, memory: int | None = None) -> int:
    """The smaller of what the cores and the free memory hold; at least one."""
    cpus = cpus or os.cpu_count() or 1
    memory = memory if memory is not None else available_memory()
    by_cpu = cpus * SESSIONS_PER_CPU
    if memory is None:
        return max(1, by_cpu)
    by_memory = (memory - RESERVE_BYTES) // SESSION_BYTES
    return int(max(1, min(by_cpu, by_memory)))


def is_loopback(host: str) -> bool:
    """True when only this machine can connect: a loopback address, or a name that resolves only to one."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False  # unresolvable: say it may be reachable rather than promise it is not
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0]).split("%")[0]).is_loopback for info in infos)


def reach_line(host: str, port: int) -> str | None:
    """The one line a non-loopback bind deserves: who can now open the dojo. None on loopback."""
    if is_loopback(host):
        return None
    if host in ("0.0.0.0", "::", ""):
        who = "anyone who can reach this machine on any of its networks"
    else:
        who = f"anyone who can reach {host}"
    return f"dojo serve: {who} can now open the dojo on port {port}, no password; --host 127.0.0.1 keeps it local"
