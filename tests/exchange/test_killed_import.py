"""No decrypted payload byte of an encrypted bundle (``.tar.age``) is ever written to a file
system while it is verified or imported: the tar is read from the age decryptor, tag files are
kept in memory, and each payload file is hashed while it is encrypted into the vault's staging
(``exchange.unpack``, ``exchange.staging``).

Shown with markers inside the payload: scanned for in every file under the receiving vault and
under the importing process's ``TMPDIR`` while an import is paused half-way (a progress callback
that scans), during a verify, after the import, and after a real ``custos bundle import``
killed with SIGKILL half-way. What a killed import staged (ciphertext) is gone at the next open,
even while another process has the vault open (when ``tmp/`` as a whole is not emptied).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from exchange_kit import ROOT, Kit, cli_env, where

from exchange.bundles import import_bundle, verify_bundle
from exchange.export import ExportJob, ExportResult
from vault.cases import create_case
from vault.ingest import ingest
from vault.jobs import Emit, Event, Progress, ignore

# The import under test is BKA's: on the ``server`` run both vaults of ``kit`` are on the trial
# server (BKA's staging folder is then its workstation folder under ``CUSTOS_CACHE_DIR``).
KIT_BKA_ON_SERVER = True
MARKER = b"CUSTOS-CLEAR-TEXT-MARKER-7f3a9c"
FILES = 6


def _holding(folder: Path, samples: list[bytes]) -> list[Path]:
    """Files under ``folder`` holding any sample (read in overlapping windows)."""
    found = []
    overlap = max(len(s) for s in samples)
    for path in folder.rglob("*"):
        try:
            if path.is_symlink() or not path.is_file():
                continue
            with path.open("rb") as fh:
                tail = b""
                while block := fh.read(8 << 20):
                    window = tail + block
                    if any(s in window for s in samples):
                        found.append(path)
                        break
                    tail = window[-overlap:]
        except OSError:  # gone meanwhile (a staged file moved in)
            continue
    return found


def _cli(kit: Kit, tmpdir: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    env = cli_env(where(kit.b), "bernd")
    env["TMPDIR"] = str(tmpdir)
    return [sys.executable, "-m", "cli.main", *args], env


def _sealed(kit: Kit, name: str, sizes: list[int]) -> tuple[ExportResult, list[bytes]]:
    """An encrypted bundle of random files, each holding MARKER; the clear source files are
    removed once ingested (the sender's vault holds them encrypted). Returns the bundle and
    samples of every file (the marker and 4 KiB of each file's random bytes)."""
    source = kit.root / name
    source.mkdir()
    samples = [MARKER]
    for n, size in enumerate(sizes):
        data = bytearray(os.urandom(size))
        at = size // 2
        data[at : at + len(MARKER)] = MARKER
        (source / f"seized-{n}.bin").write_bytes(data)
        samples.append(bytes(data[size // 4 : size // 4 + 4096]))
    ref = f"NL-{name}"
    create_case(kit.a, ref, "Operation Marker")
    ingest(kit.a, ref, [source])
    for path in source.iterdir():
        path.unlink()
    out = kit.root / f"{name}-to-bka"
    job = ExportJob(kit.a, ref, "BKA", out=out, purpose="joint-operation", encrypt=True)
    bundle = job.run(ignore)
    kit.made.append(bundle.path)
    assert not _holding(kit.root, samples)  # nothing in clear anywhere to begin with
    return bundle, samples


@pytest.fixture
def own_tmpdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A TMPDIR of this test's own (Python's ``tempfile`` and anything else that asks)."""
    folder = tmp_path / "TMPDIR"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read from the environment
    yield folder
    tempfile.tempdir = None


def test_encrypted_verify_and_import_write_no_payload_in_clear(kit: Kit, own_tmpdir: Path) -> None:
    bundle, samples = _sealed(kit, "markers", [3 << 20] * FILES)
    vault = kit.b.folder
    scans: list[tuple[str, int, list[Path], list[Path]]] = []

    def scanning(what: str) -> Emit:
        seen = 0

        def emit(event: Event) -> None:
            nonlocal seen
            if isinstance(event, Progress) and event.message.startswith("decrypting"):
                seen += 1
                if seen == FILES // 2:  # half the payload files read (and staged: import)
                    staged = [p for p in (vault / "tmp").rglob("*") if p.is_file()]
                    found = _holding(vault, samples) + _holding(own_tmpdir, samples)
                    scans.append((what, seen, staged, found))

        return emit

    report = verify_bundle(kit.b, bundle.path, scanning("verify"))
    assert report.ok, report.problems
    case = kit.new_case()
    done = import_bundle(kit.b, bundle.path, case, scanning("import"))
    assert len(done.items) == FILES
    assert [(w, n) for w, n, _, _ in scans] == [("verify", 3), ("import", 3)]
    (_, _, verify_staged, verify_found), (_, _, import_staged, import_found) = scans
    assert verify_staged == [] and verify_found == []  # verify writes nothing at all
    assert len(import_staged) == FILES // 2  # paused half-way: three payload files staged...
    assert import_found == []  # ...as ciphertext only
    assert _holding(vault, samples) == [] and _holding(own_tmpdir, samples) == []
    assert [p.name for p in (vault / "tmp").iterdir()] == []


def test_a_killed_encrypted_import_leaves_only_ciphertext_swept_at_the_next_open(
    kit: Kit, tmp_path: Path
) -> None:
    bundle, samples = _sealed(kit, "big", [96 << 20])
    case = kit.new_case()
    vault = kit.b.folder  # kit.b stays open in this process: tmp/ is not emptied at open
    tmpdir = tmp_path / "cli-TMPDIR"
    tmpdir.mkdir()
    args, env = _cli(kit, tmpdir, "bundle", "import", str(bundle.path), "--case", case)
    proc = subprocess.Popen(
        args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, "the import ended before it was killed"
            assert time.monotonic() < deadline
            staged = [p for p in (vault / "tmp").rglob("*") if p.is_file()]
            if any(p.stat().st_size > (60 << 20) for p in staged):  # past the marker
                break
            time.sleep(0.005)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    left = [p for p in (vault / "tmp").rglob("*") if p.is_file()]
    assert left, "killed half-way: its staged copy is still there"
    assert _holding(vault, samples) == []  # ciphertext only
    assert _holding(tmpdir, samples) == []
    args, env = _cli(kit, tmpdir, "case", "list")
    opened = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True)
    assert opened.returncode == 0, opened.stderr
    assert [p.name for p in (vault / "tmp").iterdir()] == []
    assert _holding(vault, samples) == []
