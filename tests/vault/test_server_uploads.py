"""Ingest on an agency server uploads packs on worker threads while it goes on
(``vault.handover``): a commit records a batch only once every object it names is in the store.

The store is the real trial server's SeaweedFS, reached through a TCP relay of the test's own
that stops relaying part-way (a store that goes away mid-ingest, as a network cut would do)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from relaykit import Relay
from serverkit import TrialServer
from sqlalchemy import func, select

from service.opener import init_vault, unlock
from vault.backend import Server
from vault.cases import create_case
from vault.errors import UserError
from vault.ingest import ingest
from vault.items import list_items, read_item_bytes
from vault.models import Item
from vault.server.address import parse as parse_server_url
from vault.verify import verify
from vaultkit import FAST_KDF, PASSWORD

FILES = 2500  # three packs (1,024 files each at most), three batches (1,000 files each)
SIZE = 4096


@pytest.fixture()
def relayed(
    trial_server: TrialServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Server, Relay]]:
    """A database and bucket of the test's own, the bucket reached through a relay."""
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache"))
    with trial_server.place() as place:
        address = parse_server_url(place.url)
        endpoint = address.s3.endpoint.removeprefix("http://")
        host, port = endpoint.rsplit(":", 1)
        relay = Relay((host, int(port)), cut_after=1 << 40)
        relayed = dataclasses.replace(
            address, s3=dataclasses.replace(address.s3, endpoint=f"http://127.0.0.1:{relay.port}")
        )
        try:
            yield Server(relayed.url(), place.credentials), relay
        finally:
            relay.close()


def test_a_store_lost_mid_ingest_records_no_batch_whose_objects_are_not_all_stored(
    relayed: tuple[Server, Relay], tmp_path: Path
) -> None:
    place, relay = relayed
    phone = tmp_path / "phone"
    phone.mkdir()
    for i in range(FILES):
        (phone / f"f{i:05}.bin").write_bytes(i.to_bytes(4, "big") * (SIZE // 4))
    session, _ = init_vault(place, "alice", PASSWORD, kdf=FAST_KDF)
    create_case(session, "C-1", "Harbour seizure")
    # The first pack (1,024 files, ~4 MiB) gets through; the store goes away during the second.
    relay.cut_after = relay.sent + 6 * (1 << 20)
    with pytest.raises(UserError) as refused:
        ingest(session, "C-1", [phone])
    message = str(refused.value)
    assert "\n" not in message and "Traceback" not in message
    assert str(relay.port) in message  # names the store that could not be reached
    with session.db() as db:
        recorded = db.scalar(select(func.count()).select_from(Item))
    # Batch 1 (files 0-999, all in pack 1) may be recorded; batch 2 names pack 2: never.
    assert recorded in (0, 1000)
    session.close()

    relay.cut_after = 1 << 40  # the store is back: what was recorded reads back and verifies
    with unlock(place, "alice", PASSWORD) as again:
        items = list_items(again, "C-1")
        assert len(items) == recorded
        for info in items[:: max(1, len(items) // 20)]:
            n = int(info.name.rsplit("f", 1)[1].split(".")[0])
            assert read_item_bytes(again, info.id) == n.to_bytes(4, "big") * (SIZE // 4)
        report = verify(again)
        assert report.ok, report.problems
        # Ingest again: the rest goes in, nothing twice
        result = ingest(again, "C-1", [phone])
        assert not result.failed
        assert len(result.saved) == FILES - recorded and len(result.skipped) == recorded
        assert verify(again).ok


def test_init_makes_the_new_bucket_s_room_and_leaves_no_object(
    trial_server: TrialServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SeaweedFS grows a new bucket's volumes on its first write (0.25-0.35 s, which the first
    ingest's first upload waited for): ``init`` writes and removes a small object, so the
    bucket's volumes are there before any ingest, and the bucket holds nothing after it."""
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache"))
    with trial_server.place() as place:
        bucket = parse_server_url(place.url).s3.bucket

        def volumes() -> list[str]:
            return sorted(p.name for p in trial_server.s3_data.glob(f"{bucket}_*.dat"))

        assert volumes() == []  # a bucket just made has none
        session, _ = init_vault(place, "alice", PASSWORD, kdf=FAST_KDF)
        session.close()
        assert volumes()
        listed = trial_server.s3_client().list_objects_v2(Bucket=bucket)
        assert listed.get("KeyCount", 0) == 0 and not listed.get("Contents")
