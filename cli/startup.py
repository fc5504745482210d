"""Work the command line begins before a command's modules import, handed over explicitly.

``cli.main`` starts the user's key derivation (Argon2id on a thread) and, for ``bundle verify``,
the payload hashing (a forked child) before importing the command; both go into one ``StartUp``
in click's context object, and the command takes them from there. Nothing is parked in a module
global: a password never outlives the one ``unlock`` it was started for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from exchange.prehash import Prehash
    from vault.keys import Derivation


@dataclass
class StartUp:
    derivation: Derivation | None = None
    prehash: Prehash | None = None

    def take_derivation(self) -> Derivation | None:
        taken, self.derivation = self.derivation, None
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
