"""A .tar.age never makes the receiver write more than it holds (the red team's 676 KB sparse
bundle declaring a 100 GiB member filled the disk; the size limit alone is 256 GiB).

age adds 16 bytes per 64 KiB chunk, so the plaintext is never larger than the ciphertext, and a
plain tar member's bytes are in the plaintext: the members' declared sizes are summed and bounded
by the encrypted file's size before each member is written, sparse members (GNU, PAX 0.0, 0.1,
1.0) are refused outright, and the free disk space is checked before anything is written.
Sparse tars are made by GNU tar and encrypted with the stock ``age``, as an attacker would.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from exchange_kit import Kit, find_tool, refused

from exchange import unpack
from exchange.export import ExportResult
from vault import agefmt

# The bags are imported by BKA, in a folder on both runs of ``kit``: the server run would repeat
# the same imports into the same kind of vault.
pytestmark = pytest.mark.local_only(
    "BKA imports into a folder on both runs; on a server: test_a_server_vault_refuses_hostile_bags"
)

SPARSE = 256 << 20  # the hole; the .tar.age stays under 1 MiB


@pytest.fixture(scope="module")
def good(kit: Kit) -> ExportResult:
    return kit.export("good-tar")


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the tar members unpack writes (in order)."""
    names: list[str] = []
    real = unpack._write_member

    def spy(dest: Path, rel: str, *args: object, **kw: object) -> object:
        names.append(rel)
        return real(dest, rel, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(unpack, "_write_member", spy)
    return names


def _age(plain: Path, target: Path, kit: Kit) -> Path:
    recipient = str(kit.b.age_identity.recipient)
    subprocess.run([find_tool("age"), "-r", recipient, "-o", target, plain], check=True)
    return target


@pytest.mark.parametrize(
    "how", ["gnu", "pax-0.0", "pax-0.1", "pax-1.0"], ids=lambda h: f"sparse-{h}"
)
def test_sparse_member_is_refused_before_anything_is_written(
    kit: Kit, good: ExportResult, written: list[str], tmp_path: Path, how: str
) -> None:
    work = tmp_path / "w"
    shutil.copytree(good.path, work / "b")
    hole = work / "b/data/evidence/zeros.bin"
    with open(hole, "wb") as fh:
        fh.truncate(SPARSE)
        fh.seek(SPARSE - 1)
        fh.write(b"\x01")
    fmt, _, version = how.partition("-")
    args = ["--format=gnu"] if fmt == "gnu" else ["--format=pax", f"--sparse-version={version}"]
    plain = tmp_path / "b.tar"
    tar = find_tool("tar")
    subprocess.run([tar, "--sparse", *args, "-cf", plain, "-C", work, "b"], check=True)
    target = _age(plain, tmp_path / f"sparse-{how}.tar.age", kit)
    assert target.stat().st_size < 1 << 20  # under 1 MiB (mostly the bag) unpacks to 256 MiB
    with tarfile.open(plain) as check:  # the tar really is sparse, as GNU tar wrote it
        assert any(m.issparse() for m in check)
    refused(kit, target, r"tar member '[^']*zeros.bin': sparse member")
    assert not any(name.endswith("zeros.bin") for name in written)


def _declaring(good: ExportResult, size: int) -> bytes:
    """A tar of the good bag plus a member whose header declares ``size`` bytes and is cut short."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(good.path, arcname="b")
    data = raw.getvalue().rstrip(b"\0")
    data += b"\0" * (-len(data) % tarfile.BLOCKSIZE)
    big = tarfile.TarInfo("b/data/evidence/big.bin")
    big.size = size
    return data + big.tobuf(tarfile.PAX_FORMAT) + b"x" * tarfile.BLOCKSIZE * 4


def test_declared_sizes_beyond_the_ciphertext_are_refused_before_writing(
    kit: Kit, good: ExportResult, written: list[str], tmp_path: Path
) -> None:
    target = tmp_path / "declares.tar.age"
    target.write_bytes(
        agefmt.encrypt_bytes(_declaring(good, 100 << 30), [kit.b.age_identity.recipient])
    )
    size = target.stat().st_size
    refused(
        kit,
        target,
        r"tar member 'b/data/evidence/big.bin': declares 107374182400 bytes \(with the members "
        rf"before it, \d+\), more than the {size} bytes of declares.tar.age can hold",
    )
    assert "b/data/evidence/big.bin" not in written


def test_free_disk_space_is_checked_before_anything_is_written(
    kit: Kit, good: ExportResult, written: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    encrypted = kit.export("good-tar-space", encrypt=True)
    monkeypatch.setattr(unpack, "free_space", lambda folder: 1000)
    refused(kit, encrypted.path, r"not enough free disk space to unpack it \(1000 bytes free")
    assert written == []


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_a_tar_of_one_plain_file_or_an_empty_folder_is_no_bundle(
    kit: Kit, tmp_path: Path, kind: str
) -> None:
    """Found by the fuzz test: a tar holding only a plain file "b" was verified as an intact
    bundle of 0 files (no finding, no bag), and a folder member alone left its unpack folder
    behind in the vault's tmp/."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        member = tarfile.TarInfo("b" if kind == "file" else "b/data")
        if kind == "folder":
            member.type = tarfile.DIRTYPE
        tar.addfile(member, io.BytesIO(b""))
    target = tmp_path / f"one-{kind}.tar.age"
    target.write_bytes(agefmt.encrypt_bytes(raw.getvalue(), [kit.b.age_identity.recipient]))
    refused(kit, target, rf"one-{kind}.tar.age: the tar does not hold exactly one bundle folder")


def test_a_refused_member_declaring_exabytes_stops_the_unpack_at_once(
    kit: Kit, tmp_path: Path
) -> None:
    """Refused members count towards the declared total (tar reads past their data too): a
    '../' member declaring 2**62 bytes stops the unpack before tarfile skips a block of it."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        top = tarfile.TarInfo("b")
        top.type = tarfile.DIRTYPE
        tar.addfile(top)
        evil = tarfile.TarInfo("../evil")
        evil.size = 2**62
        raw.write(evil.tobuf(tarfile.PAX_FORMAT) + b"x" * 1024)
    target = tmp_path / "exabytes.tar.age"
    target.write_bytes(agefmt.encrypt_bytes(raw.getvalue(), [kit.b.age_identity.recipient]))
    err = refused(kit, target, r"tar member '\.\./evil': the members declare 4611686018427387904 ")
    assert len(err.problems) == 1, err.problems


def test_a_malformed_pax_sparse_map_is_a_finding(kit: Kit, tmp_path: Path) -> None:
    """Found by the fuzz test: tarfile's int('') on an empty PAX GNU.sparse.map escaped as a
    ValueError (a traceback, exit 1) from a file anyone can encrypt to our public recipient."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        member = tarfile.TarInfo("b/data/x")
        member.pax_headers = {"GNU.sparse.map": ""}
        tar.addfile(member, io.BytesIO(b""))
    target = tmp_path / "sparse-map.tar.age"
    target.write_bytes(agefmt.encrypt_bytes(raw.getvalue(), [kit.b.age_identity.recipient]))
    refused(kit, target, r"sparse-map.tar.age: the tar inside is truncated or damaged \(malformed")
