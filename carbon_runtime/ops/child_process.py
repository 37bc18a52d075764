"""Child processes that never outlive their parent (Linux PR_SET_PDEATHSIG through ctypes prctl).

`die_with_parent()` returns a `preexec_fn` for subprocess.Popen: the kernel sends the child SIGKILL
when the parent dies, even when the parent is SIGKILLed and can run no cleanup. If the parent died
between fork and prctl, the child kills itself at once.

Caveat (prctl(2)): the signal fires when the *thread* that forked the child exits, so start children
from a thread that lives as long as the process (the main thread). The setting survives exec, but a
grandchild does not inherit it: a child that forks must stop its own children (uvicorn, node and the
broker here do not leave any behind).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGKILL) -> Callable[[], None] | None:
    """A preexec_fn tying the child to this process (None where prctl does not exist)."""
    if not sys.platform.startswith("linux"):
        return None
    # Resolved in the parent: after fork only the call itself runs.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:
            # The parent is already gone: the death signal will never come.
            os.kill(os.getpid(), sig)

    return preexec
