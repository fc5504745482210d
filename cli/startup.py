"""Work the command line begins before a command's modules import, handed over explicitly.

``cli.main`` first takes the passwords out of the environment (``take_secrets``), then starts the
user's key derivation (Argon2id on a thread) and, for ``bundle verify``,
the payload hashing (a forked child) before importing the command; both go into one ``StartUp``
in click's context object, and the command takes them from there. Nothing is parked in a module
global: a password never outlives the one ``unlock`` it was started for.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from exchange.prehash import Prehash
    from vault.keys import Derivation
    from vault.stageahead import StageAhead


# Passwords and an agency server's credentials (``--server``): taken out of the environment.
SECRET_VARIABLES = (
    "CUSTOS_PASSWORD",
    "CUSTOS_NEW_PASSWORD",
    "PGPASSWORD",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
)


def take_secrets() -> dict[str, str]:
    """The passwords given in the environment, removed from it: no process started afterwards
    (ingest workers, the detection fork server and its workers, the payload hasher) inherits
    them, and this process's own ``/proc/<pid>/environ`` no longer shows them."""
    taken = {name: os.environ[name] for name in SECRET_VARIABLES if name in os.environ}
    initial = _entries(taken)
    for name in taken:
        os.environ.pop(name)  # unsetenv: the C array no longer points at the entry
    for address, size in initial:  # the bytes the kernel shows stay until overwritten
        ctypes.memset(address, 0, size)
    return taken


def _entries(names: Iterable[str]) -> list[tuple[int, int]]:
    """Address and length of each ``NAME=value`` string of the C environment (Linux, glibc);
    none where it cannot be read."""
    try:
        block = ctypes.POINTER(ctypes.c_void_p).in_dll(ctypes.CDLL(None), "environ")
    except (OSError, ValueError, AttributeError):
        return []
    try:  # only the block the process started with (what the kernel shows), never the heap
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        start, end = int(fields[47]), int(fields[48])  # env_start, env_end
    except (OSError, IndexError, ValueError):
        return []
    prefixes = tuple(name.encode() + b"=" for name in names)
    found = []
    i = 0
    while prefixes and block[i]:
        entry = ctypes.string_at(block[i])
        if entry.startswith(prefixes) and start <= block[i] and block[i] + len(entry) < end:
            found.append((int(block[i]), len(entry)))
        i += 1
    return found


@dataclass
class StartUp:
    derivation: Derivation | None = None
    prehash: Prehash | None = None
    staged: StageAhead | None = None  # large files of an ingest, encrypted before the unlock
    secrets: dict[str, str] = field(default_factory=dict, repr=False)

    def take_secret(self, name: str) -> str | None:
        """The password given in variable ``name``, handed out once (then forgotten here)."""
        return self.secrets.pop(name, None)

    def take_derivation(self) -> Derivation | None:
        taken, self.derivation = self.derivation, None
        return taken

    def take_staged(self) -> StageAhead | None:
        taken, self.staged = self.staged, None
        return taken

    def take_prehash(self, root: Path) -> Prehash | None:
        """The hashing started for ``root`` (the same path as given), else None."""
        taken, self.prehash = self.prehash, None
        if taken is not None and taken.root != root:
            taken.close()
            return None
        return taken


def startup(ctx: click.Context) -> StartUp:
    """This run's ``StartUp`` (an empty one when a command runs without ``cli.main``)."""
    obj = ctx.find_root().ensure_object(dict)
    found = obj.get("startup")
    if not isinstance(found, StartUp):
        found = obj["startup"] = StartUp()
    return found
