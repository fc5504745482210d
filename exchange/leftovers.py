"""What a killed bundle import leaves in the vault's ``tmp/``, and its removal.

An encrypted bundle is unpacked into ``tmp/bundle-<pid>-<start time>-<random>`` (the partner's
evidence in clear while it is checked and imported). An import killed outright (SIGKILL, power
cut) leaves that folder, and ``tmp/`` as a whole is emptied only by a process that opens the
vault alone. ``sweep`` removes the folders of processes that are gone, whoever else has the vault
open: before every unpack (``exchange.unpack``) and at every open (``service.opener``). The pid
with its start time (``/proc/<pid>/stat``) names one process even after its pid is reused.

Kept apart from ``exchange.unpack`` so that opening a vault does not import the bundle checks.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

_UNPACKED = re.compile(r"bundle-(\d+)-(\d+)-[0-9a-f]{32}")


def _started(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks after boot); None if there is no such process
    (or no ``/proc``)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def unpack_folder_name() -> str:
    """A new unpack folder's name, naming this process."""
    return f"bundle-{os.getpid()}-{_started(os.getpid()) or 0}-{uuid.uuid4().hex}"


def sweep(work: Path) -> None:
    """Remove the unpack folders under ``work`` whose process is gone (killed mid-import)."""
    if _started(os.getpid()) is None:  # no /proc: liveness cannot be told, keep everything
        return
    try:
        entries = list(os.scandir(work))
    except OSError:
        return
    for entry in entries:
        found = _UNPACKED.fullmatch(entry.name)
        if found and _started(int(found[1])) != int(found[2]):
            shutil.rmtree(entry.path, ignore_errors=True)
