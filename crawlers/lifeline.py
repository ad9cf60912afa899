"""Child processes die with their parent.

The crawl subprocess (``crawlers.worker``) and its extraction workers must not outlive the process
that started them: after a ``kill -9`` of a flow process, a crawler left running on its own keeps
fetching pages nobody will read. On Linux the kernel does it: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``
makes the kernel send SIGKILL to the process when its parent dies (the setting survives ``exec``).
Elsewhere this is a no-op (the child then ends when it finds its pipes closed, if ever).

Chain of a crawl: flow process → ``crawlers.worker`` (armed at start) → multiprocessing fork server
(exits when the worker's end of its pipe closes) → extraction workers (armed in the pool
initializer, relative to the fork server).
"""

from __future__ import annotations

import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent_pid: int | None = None, sig: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent dies; True when armed.

    ``parent_pid``: the pid the parent had when it started this process. If the parent is already
    gone (this process was re-parented before it could arm), exit at once."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):  # no libc symbol (exotic platforms): nothing to arm
        return False
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)  # the parent died before we armed: nobody is waiting for this work
    return armed
