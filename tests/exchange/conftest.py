"""Two agencies (two vaults in tmp folders) that have exchanged key cards, and stock-tool checks.

Every bundle a test makes goes through ``stock_check``: openssl verifies the Ed25519 signature,
LoC's ``bagit.py --validate`` accepts the bag and ``case_validate`` finds ``data/case.jsonld``
conformant. Encrypted bundles are first opened with the stock ``age`` tool and ``tar``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from backendkit import BACKENDS
from exchange_kit import Kit, agency_place, find_tool, made_kit, run_cli

from vault.session import Session


@pytest.fixture(scope="module", params=BACKENDS)
def kit(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    stock_check: Callable[[Path, Session | None], None],
) -> Iterator[Kit]:
    """On the ``server`` run Politie NL's vault is on the trial server and BKA's stays in a
    folder: every bundle crosses from a server vault to a local one. A module whose tests are
    about BKA's import sets ``KIT_BKA_ON_SERVER = True``: BKA's vault is then there too."""
    on_server = getattr(request.module, "KIT_BKA_ON_SERVER", False)
    yield from made_kit(request, tmp_path_factory, stock_check, bka_here=not on_server)


@pytest.fixture(params=BACKENDS)
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Where a test's own vault goes: ``tmp_path / "v"``, or a place on the trial server."""
    return agency_place(request, tmp_path / "v")


@pytest.fixture(scope="session")
def stock_check() -> Callable[[Path, Session | None], None]:
    """openssl + bagit.py + case_validate on a bag (``age -d`` + tar first for .tar.age)."""

    checked: set[Path] = set()

    def check(path: Path, receiver: Session | None = None) -> None:
        if path in checked:
            return
        checked.add(path)
        openssl, bagit, case_validate = (
            find_tool(t) for t in ("openssl", "bagit.py", "case_validate")
        )
        if path.name.endswith(".tar.age"):
            assert receiver is not None
            age = find_tool("age")
            key = path.with_name(path.name + ".key")
            key.write_text(str(receiver.age_identity) + "\n")
            plain = path.with_name(path.name.removesuffix(".age"))
            subprocess.run([age, "-d", "-i", key, "-o", plain, path], check=True)
            out = path.with_name(path.name + ".d")
            out.mkdir()
            # the stock tar, as a partner without Custos would open it
            subprocess.run([find_tool("tar"), "-xf", plain, "-C", out], check=True)
            (bag,) = list(out.iterdir())
        else:
            bag = path
        sig = subprocess.run(
            [openssl, "pkeyutl", "-verify", "-pubin", "-inkey", "signature/sender.pem",
             "-rawin", "-in", "tagmanifest-sha256.txt",
             "-sigfile", "signature/tagmanifest-sha256.txt.sig"],
            cwd=bag, capture_output=True, text=True,
        )  # fmt: skip
        assert sig.returncode == 0, sig.stdout + sig.stderr
        valid = subprocess.run([bagit, "--validate", str(bag)], capture_output=True, text=True)
        assert valid.returncode == 0, valid.stderr
        case = subprocess.run(
            [case_validate, "data/case.jsonld"], cwd=bag, capture_output=True, text=True
        )
        assert case.returncode == 0, case.stdout + case.stderr

    return check


@pytest.fixture(scope="session")
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_cli
