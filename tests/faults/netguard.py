"""Network guard: no socket of this process (or of any Python process started with it) may reach a
non-loopback address. Every attempt is refused with ``ENETUNREACH`` and appended to a log file.

Used two ways by the whole-job tests:

* in the test process: ``install(log)`` patches ``socket.socket`` (the Prefect harness, the LLM
  client, the job's own threads);
* in every child Python process (the crawl subprocess, its spawned extraction workers): this file is
  copied as ``sitecustomize.py`` into a folder put first on ``PYTHONPATH``, and installs itself at
  interpreter start-up when ``CRAWLQA_NETGUARD_LOG`` is set (see :func:`child_env`).

It covers TCP ``connect``/``connect_ex`` (Twisted, asyncio, httpx, aiohttp all go through them) and
UDP ``sendto``/``sendmsg`` (DNS). Self-contained on purpose: it runs before anything else is importable.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket

ENV = "CRAWLQA_NETGUARD_LOG"
_ORIGINAL: dict[str, object] = {}


def _loopback(address: object) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths, abstract sockets
    host = str(address[0]).split("%", 1)[0].strip("[]")
    if host in ("localhost", ""):
        return True  # '' is INADDR_ANY: this machine
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # a host name: resolution is already a packet out
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _record(log: str, what: str, address: object) -> None:
    try:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {what} {address!r}\n")
    except OSError:
        pass


def install(log: str) -> None:
    """Patch ``socket.socket`` so that non-loopback destinations are refused and logged."""
    if _ORIGINAL:
        return
    for name in ("connect", "connect_ex", "sendto", "sendmsg"):
        _ORIGINAL[name] = getattr(socket.socket, name)

    def connect(self, address):
        if not _loopback(address):
            _record(log, "connect", address)
            raise OSError(errno.ENETUNREACH, f"netguard: {address!r} is not loopback")
        return _ORIGINAL["connect"](self, address)

    def connect_ex(self, address):
        if not _loopback(address):
            _record(log, "connect_ex", address)
            return errno.ENETUNREACH
        return _ORIGINAL["connect_ex"](self, address)

    def sendto(self, data, *args):
        address = args[-1] if args else None
        if address is not None and not _loopback(address):
            _record(log, "sendto", address)
            raise OSError(errno.ENETUNREACH, f"netguard: {address!r} is not loopback")
        return _ORIGINAL["sendto"](self, data, *args)

    def sendmsg(self, buffers, *args):
        address = args[2] if len(args) > 2 else None
        if address is not None and not _loopback(address):
            _record(log, "sendmsg", address)
            raise OSError(errno.ENETUNREACH, f"netguard: {address!r} is not loopback")
        return _ORIGINAL["sendmsg"](self, buffers, *args)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[method-assign]
    socket.socket.sendmsg = sendmsg  # type: ignore[method-assign]


def uninstall() -> None:
    for name, fn in _ORIGINAL.items():
        setattr(socket.socket, name, fn)
    _ORIGINAL.clear()


def child_env(folder: str, log: str, pythonpath: str = "") -> dict[str, str]:
    """Environment additions that make child Python processes install the guard at start-up."""
    import shutil

    os.makedirs(folder, exist_ok=True)
    shutil.copyfile(__file__, os.path.join(folder, "sitecustomize.py"))
    parts = [folder, *[p for p in pythonpath.split(os.pathsep) if p]]
    return {"PYTHONPATH": os.pathsep.join(parts), ENV: log}


if os.environ.get(ENV) and __name__ == "sitecustomize":  # a child process started with child_env()
    install(os.environ[ENV])
