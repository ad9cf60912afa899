"""The network guard the whole-job tests rely on really refuses (and records) non-loopback traffic,
in the test process and in child Python processes, and lets loopback through."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys

from . import netguard as ng

CHILD = """
import socket
try:
    socket.create_connection(("169.254.169.254", 80), timeout=5)
except OSError as e:
    print("refused", e.errno)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.sendto(b"x", ("8.8.8.8", 53))
except OSError as e:
    print("refused", e.errno)
"""


def test_guard_refuses_other_addresses_in_children(tmp_path):
    log = tmp_path / "log"
    env = dict(os.environ) | ng.child_env(str(tmp_path / "g"), str(log), os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split("\n")[:2] == [f"refused {errno.ENETUNREACH}"] * 2, out
    lines = log.read_text().splitlines()
    assert len(lines) == 2 and "169.254.169.254" in lines[0] and "8.8.8.8" in lines[1]


def test_guard_in_process_lets_loopback_through(tmp_path):
    log = tmp_path / "log"
    srv = socket.create_server(("127.0.0.1", 0))
    ng.install(str(log))
    try:
        with socket.create_connection(srv.getsockname(), timeout=5):
            pass
        assert socket.socket().connect_ex(("10.0.0.1", 80)) == errno.ENETUNREACH
    finally:
        ng.uninstall()
        srv.close()
    assert log.read_text().count("10.0.0.1") == 1
