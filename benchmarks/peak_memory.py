"""Peak resident memory of this process, for the benchmarks that measure each stage in a child
process (``stream.py``, ``scaling.py``; ``features.py`` reads the same field in its child's code).

``VmHWM`` (``/proc/self/status``) is the high-water mark of this process's own address space. Not
``ru_maxrss``: Linux carries it across ``exec`` from the parent, so a child started by a parent
that held 2.6 GB reports at least 2.6 GB.
"""

from __future__ import annotations

import resource


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB (``VmHWM``; ``ru_maxrss`` where there is no
    ``/proc``, i.e. not Linux, both in kB)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
