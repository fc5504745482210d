"""``vault.s3wire``, the S3 client the vault's store uses instead of boto3, against the real
SeaweedFS of the trial server: a multipart upload (parts sent at once) and a listing over many
pages come back whole; over https (a TLS relay of the test's own in front of the store) objects
go in and out verified against the given CA, an untrusted certificate and a wrong secret are
one line each."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from relaykit import Relay

from vault import s3wire
from vault.objectstore import S3Store, StoreUnavailable, key_for
from vault.server import tls
from vault.server.address import Credentials, S3Endpoint
from vault.server.address import parse as parse_server_url


def _tls_relay(target: tuple[str, int], certs: tls.TrialCertificates, folder: Path) -> Relay:
    cert, key = folder / "relay.pem", folder / "relay.key"
    cert.write_bytes(certs.cert_pem)
    key.write_bytes(certs.key_pem)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return Relay(target, tls=context)


@pytest.fixture()
def bucket(trial_server) -> Iterator[tuple[S3Endpoint, Credentials]]:
    with trial_server.place() as place:
        yield parse_server_url(place.url).s3, place.credentials


def _file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def _digest(store: S3Store, key: str) -> str:
    h = hashlib.sha256()
    for chunk in store.get_chunks(key):
        h.update(chunk)
    return h.hexdigest()


def test_a_multipart_upload_and_a_listing_of_many_pages_come_back_whole(
    bucket: tuple[S3Endpoint, Credentials], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, credentials = bucket
    monkeypatch.setattr(s3wire, "MULTIPART", 6 << 20)
    monkeypatch.setattr(s3wire, "PART", 5 << 20)  # S3's smallest part but the last
    store = S3Store(endpoint, credentials)
    big = _file(tmp_path / "big", (12 << 20) + 12345)  # three parts, sent at once
    key = key_for("blobs", "ab" * 32)
    store.put(key, big)
    assert store.size(key) == big.stat().st_size
    assert _digest(store, key) == hashlib.sha256(big.read_bytes()).hexdigest()
    assert store.read(key, (5 << 20) - 3, 10) == big.read_bytes()[(5 << 20) - 3 : (5 << 20) + 7]

    small = _file(tmp_path / "small", 100)
    keys = sorted(key_for("packs", os.urandom(8).hex()) for _ in range(23))
    for k in keys:
        store.put(k, small)
    wire = s3wire.S3Client(endpoint.endpoint, credentials.access_key, credentials.secret_key)
    assert sorted(wire.list_keys(endpoint.bucket, "packs/", page=5)) == keys  # five pages
    assert sorted(store.names("packs")) == keys and list(store.names("blobs")) == [key]

    store.mark_unsettled()
    assert store.unsettled()
    store.settled()
    assert not store.unsettled()
    store.delete(key)
    assert not store.exists(key)


def test_over_https_objects_go_in_and_out_verified_against_the_given_ca(
    bucket: tuple[S3Endpoint, Credentials], tmp_path: Path
) -> None:
    endpoint, credentials = bucket
    host, port = endpoint.endpoint.removeprefix("http://").split(":")
    certs = tls.make("s3wire test")
    relay = _tls_relay((host, int(port)), certs, tmp_path)
    try:
        ca = tmp_path / "ca.pem"
        ca.write_bytes(certs.ca_pem)
        https = dataclasses.replace(
            endpoint, endpoint=f"https://127.0.0.1:{relay.port}", ca_file=str(ca)
        )
        store = S3Store(https, credentials)
        store.check_bucket()
        data = _file(tmp_path / "object", 3 * (1 << 20) + 1)  # unsigned payload over TLS
        key = key_for("packs", "cd" * 8)
        assert store.take(key, data) and not data.exists()
        assert store.names("packs").__next__() == key
        plain = S3Store(endpoint, credentials)  # the same object, straight from the store
        assert _digest(store, key) == _digest(plain, key)

        other = tmp_path / "other-ca.pem"
        other.write_bytes(tls.make("another").ca_pem)
        untrusted = S3Store(dataclasses.replace(https, ca_file=str(other)), credentials)
        with pytest.raises(StoreUnavailable) as refused:
            untrusted.check_bucket()
        assert str(refused.value) == (
            f"https://127.0.0.1:{relay.port}/{endpoint.bucket}: "
            "the store's TLS certificate does not verify"
        )
    finally:
        relay.close()


def test_a_wrong_secret_and_a_missing_bucket_are_one_line_each(
    bucket: tuple[S3Endpoint, Credentials],
) -> None:
    endpoint, credentials = bucket
    wrong = dataclasses.replace(credentials, secret_key=credentials.secret_key[::-1])
    with pytest.raises(StoreUnavailable) as refused:
        S3Store(endpoint, wrong).check_bucket()
    assert "access key or secret refused" in str(refused.value)
    assert "\n" not in str(refused.value)
    gone = S3Store(
        dataclasses.replace(endpoint, bucket="nosuchbucket" + os.urandom(4).hex()), credentials
    )
    with pytest.raises(StoreUnavailable) as missing:
        gone.check_bucket()
    assert str(missing.value).endswith("the bucket does not exist")
