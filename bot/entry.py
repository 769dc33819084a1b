"""The ``marketbrief`` process: the console script's entry, ``bot.cli.main`` run as a program.

Kept apart from ``bot.cli`` so that ``main`` stays a plain function for tests, and so that the
garbage collector can be set for a process before the commands' modules load: paused while
they load (about 60,000 objects that live until exit, walked again at every collection
otherwise), then those objects frozen, and at the end what the command built is left to the
process's exit rather than a last full collection. About 0.1 s of CPU a command
(docs/benchmarks.md, the start-up script).
"""

from __future__ import annotations

import gc


def console() -> int:
    """Run ``marketbrief`` with the arguments of this process; return its exit status."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        from bot.cli import main
    finally:
        if collecting:
            gc.enable()
    gc.freeze()
    try:
        return main()
    finally:
        # Objects freed by reference count (files, connections) still close, and atexit
        # handlers (log flushes) still run; only objects held in reference cycles are left to
        # the end of the process.
        gc.freeze()


if __name__ == "__main__":
    raise SystemExit(console())
