"""A hostile S3 store and a hostile ``--server`` URL (issue 12, red team; SECURITY.md "The agency
server's threat model").

The store is a real HTTP server of the test's own on loopback answering what an operator who
controls the object store (or someone in its place) could: bodies of gigabytes or a lying
Content-Length, XML with a DOCTYPE (billion laughs, external entities), garbage where a listing
should be, a listing that never ends, a redirect to another host. ``vault.objectstore.S3Store``
must answer each with one line (``StoreUnavailable``), never a traceback, and never read more
than it needs.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from vault import agefmt, packs, s3wire, serverrotation
from vault.blobs import BlobStore
from vault.errors import UserError
from vault.ingest import CustodyForm, ingest
from vault.models import Blob
from vault.objectstore import S3Store, StoreUnavailable
from vault.server.address import Credentials, S3Endpoint, parse
from vault.session import Session

MiB = 1 << 20
LISTING = '<?xml version="1.0" encoding="UTF-8"?>\n'


class Hostile:
    """What the store answers: ``answer(handler)`` writes the whole response; ``sent`` counts
    body bytes the store managed to push, ``requests`` the requests it saw."""

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler, Hostile], None]) -> None:
        self.answer = answer
        self.sent = 0
        self.requests = 0


@pytest.fixture()
def hostile() -> Iterator[Callable[[Callable[..., None]], tuple[S3Store, Hostile]]]:
    servers: list[ThreadingHTTPServer] = []
    stores: list[S3Store] = []

    def start(answer: Callable[..., None]) -> tuple[S3Store, Hostile]:
        state = Hostile(answer)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: object) -> None:
                pass

            def _any(self) -> None:
                state.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                with contextlib.suppress(OSError):  # the client hung up, as a careful one does
                    state.answer(self, state)

            do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = _any

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        endpoint = S3Endpoint(f"http://127.0.0.1:{server.server_address[1]}", "custos")
        store = S3Store(endpoint, Credentials("pw", "key", "secret"))
        stores.append(store)
        return store, state

    yield start
    for store in stores:
        store.close()
    for server in servers:
        server.shutdown()
        server.server_close()


def _endless(handler: BaseHTTPRequestHandler, state: Hostile, status: int) -> None:
    """A body that claims a terabyte and keeps coming (the store stops at 256 MiB)."""
    handler.send_response(status)
    handler.send_header("Content-Length", str(1 << 40))
    handler.send_header("Content-Type", "application/xml")
    handler.end_headers()
    block = b"<" + b"x" * (MiB - 1)
    while state.sent < 256 * MiB:
        handler.wfile.write(block)
        state.sent += len(block)


def _one_line(exc: BaseException) -> str:
    said = str(exc)
    assert "\n" not in said and "Traceback" not in said, said
    return said


@pytest.mark.parametrize("status", [500, 403, 200])
def test_a_body_of_gigabytes_is_not_read_whole(hostile: Callable, status: int) -> None:
    """An error (or a listing) body that never ends, with a Content-Length of a terabyte: the
    workstation reads a bounded amount, says so in one line, and goes on."""
    store, state = hostile(lambda h, s: _endless(h, s, status))
    with pytest.raises(StoreUnavailable) as refused:
        list(store.names("blobs"))
    said = _one_line(refused.value)
    assert "answer is larger than" in said, said
    # each attempt read at most the bound (plus what the two sockets buffer: loopback buffers
    # grow to several MiB each), never the whole stream (256 MiB)
    assert state.requests == 1
    assert state.sent <= 64 * MiB, state.sent


def _listing(body: str, status: int = 200) -> Callable[..., None]:
    def answer(handler: BaseHTTPRequestHandler, state: Hostile) -> None:
        data = body.encode()
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return answer


LAUGHS = (
    LISTING
    + '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    )
    + "]><ListBucketResult><Contents><Key>&lol9;</Key></Contents></ListBucketResult>"
)
EXTERNAL = (
    LISTING + '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    "<Contents><Key>&e;</Key></Contents></ListBucketResult>"
)


@pytest.mark.parametrize(
    "body",
    [LAUGHS, EXTERNAL, "not xml at all", "<ListBucketResult><Contents>"],
    ids=["billion-laughs", "external-entity", "garbage", "truncated"],
)
def test_a_hostile_listing_is_one_line(hostile: Callable, body: str) -> None:
    store, _ = hostile(_listing(body))
    with pytest.raises(StoreUnavailable) as refused:
        list(store.names("blobs"))
    said = _one_line(refused.value)
    assert "root:" not in said  # nothing of a local file reaches the line
    assert "the store's answer is not a listing" in said, said


def test_a_listing_that_never_ends_is_one_line(hostile: Callable) -> None:
    """A store that says "truncated, continue with token T" with the same token forever."""
    page = (
        LISTING + '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        "<IsTruncated>true</IsTruncated><NextContinuationToken>again</NextContinuationToken>"
        "<Contents><Key>blobs/ab/abababababababababab</Key></Contents></ListBucketResult>"
    )

    def answer(handler: BaseHTTPRequestHandler, state: Hostile) -> None:
        if state.requests > 50:  # main loops for ever: stop it here, with an error
            _listing("", 500)(handler, state)
        else:
            _listing(page)(handler, state)

    store, state = hostile(answer)
    with pytest.raises(StoreUnavailable) as refused:
        list(store.names("blobs"))
    assert "the same continuation token" in _one_line(refused.value)
    assert state.requests <= 3


def test_a_listing_of_empty_pages_that_never_ends_is_one_line(hostile: Callable) -> None:
    """A store that says "truncated, continue with token T<n>", a new token each time and no
    key, for ever: refused after a few such pages, naming the store and the prefix."""

    def answer(handler: BaseHTTPRequestHandler, state: Hostile) -> None:
        if state.requests > 50:  # main loops for ever: stop it here, with an error
            _listing("", 500)(handler, state)
            return
        _listing(
            LISTING + '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            "<IsTruncated>true</IsTruncated>"
            f"<NextContinuationToken>t{state.requests}</NextContinuationToken>"
            "</ListBucketResult>"
        )(handler, state)

    store, state = hostile(answer)
    with pytest.raises(StoreUnavailable) as refused:
        list(store.names("blobs"))
    said = _one_line(refused.value)
    assert store.label in said and "'blobs/'" in said and "no keys" in said, said
    assert state.requests <= s3wire.EMPTY_PAGES + 1


def test_hostile_keys_in_a_listing_never_reach_the_vault(hostile: Callable) -> None:
    good = "blobs/ab/abababababababababab"
    keys = ["../../etc/passwd", "/etc/shadow", "blobs/../../x", "blobs/ab/" + "a" * 70, good]
    body = (
        LISTING
        + '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        + "".join(f"<Contents><Key>{k}</Key></Contents>" for k in keys)
        + "</ListBucketResult>"
    )
    store, _ = hostile(_listing(body))
    assert list(store.names("blobs")) == [good]


def test_a_redirect_to_another_host_is_not_followed(hostile: Callable) -> None:
    other, elsewhere = hostile(_listing("<ListBucketResult/>"))

    def answer(handler: BaseHTTPRequestHandler, state: Hostile) -> None:
        handler.send_response(307)
        handler.send_header("Location", f"http://127.0.0.2:{other._wire.port}/custos")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    store, _ = hostile(answer)
    with pytest.raises(StoreUnavailable) as refused:
        list(store.names("blobs"))
    _one_line(refused.value)
    assert elsewhere.requests == 0


@pytest.mark.parametrize(
    "s3",
    [
        "http://s3.agency.example:8333/custos",
        "http://10.0.0.5:8333/custos",
        "http://[2001:db8::1]:8333/custos",
    ],
)
def test_plain_http_to_a_store_off_this_machine_is_refused(s3: str) -> None:
    """Objects are age files, but over plain http the answers are not authenticated and the
    requests show every key and size to the network: only a store on this machine may be
    reached without TLS."""
    url = f"postgresql://custos@db.agency.example:6432/custos?sslrootcert=/ca.pem&s3={s3}"
    with pytest.raises(UserError) as refused:
        parse(url)
    assert str(refused.value).endswith(
        "the s3 endpoint must be https (with s3ca=CA-FILE if its certificate is not from a "
        "CA the system trusts): plain http is allowed to this machine only"
    )


@pytest.mark.parametrize(
    "s3", ["http://127.0.0.1:8333/custos", "http://localhost:8333/custos", "http://[::1]:8333/c"]
)
def test_plain_http_to_a_store_on_this_machine_is_allowed(s3: str) -> None:
    url = f"postgresql://custos@127.0.0.1:6432/custos?sslrootcert=/ca.pem&s3={s3}"
    assert not parse(url).s3.tls


@pytest.mark.parametrize(
    "query", ["sslmode=disable", "sslmode=require", "sslcert=/x", "host=/tmp", "options=-c%20x"]
)
def test_a_url_asking_for_weaker_tls_is_refused(query: str) -> None:
    url = f"postgresql://custos@db:6432/custos?sslrootcert=/ca.pem&s3=https://s3/c&{query}"
    with pytest.raises(UserError, match="unknown parameter"):
        parse(url)


def _object(size: int) -> Callable[..., None]:
    """A GET answered with ``size`` bytes (``None``: a terabyte claimed, 256 MiB sent)."""

    def answer(handler: BaseHTTPRequestHandler, state: Hostile) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(size))
        handler.end_headers()
        handler.wfile.write(b"x" * size)
        state.sent += size

    return answer


NAME = "ab" * 32
KEY = f"blobs/ab/{NAME}"


def test_a_streamed_object_stops_at_its_expected_size(hostile: Callable) -> None:
    """A GET that never ends (or sends more than the object's recorded size): the workstation
    stops at the size it expects, hands on nothing past it, and says so in one line naming the
    object; the store's stream is cut (a bounded amount crossed the socket)."""
    store, state = hostile(lambda h, s: _endless(h, s, 200))
    handed = 0
    with pytest.raises(StoreUnavailable) as refused:
        for chunk in store.get_chunks(KEY, 3 * MiB):
            handed += len(chunk)
    assert handed <= 3 * MiB
    said = _one_line(refused.value)
    assert f"{KEY}: the store sent more than the object's {3 * MiB} bytes" in said, said
    assert state.sent <= 64 * MiB, state.sent
    with (
        pytest.raises(StoreUnavailable, match="sent more than the object's 1000 bytes"),
        store.open(KEY, 1000),
    ):
        pass


def test_an_object_of_exactly_its_expected_size_is_read(hostile: Callable) -> None:
    store, _ = hostile(_object(5000))
    assert sum(len(c) for c in store.get_chunks(KEY, 5000)) == 5000
    with store.open(KEY, 5000) as fh:
        assert len(fh.read()) == 5000
    with pytest.raises(StoreUnavailable, match="more than the object's 4999 bytes"):
        list(store.get_chunks(KEY, 4999))


def test_a_blob_is_read_up_to_its_rows_size_and_the_age_overhead(
    hostile: Callable, tmp_path: Path
) -> None:
    """A vault's blob on a store: its row's size (and age's overhead) bounds what is spooled."""
    store, state = hostile(lambda h, s: _endless(h, s, 200))
    identity = agefmt.Identity.generate()
    blobs = BlobStore(store, tmp_path, bytes(32), [identity.recipient], identity)
    blobs.row_of = lambda name: (None, 0, 1000, None) if name == NAME else None
    most = agefmt.most_encrypted(1000)
    assert most < 2 * MiB
    with pytest.raises(StoreUnavailable) as refused:
        list(blobs.read_file_chunks(NAME))
    assert f"{KEY}: the store sent more than the object's {most} bytes" in _one_line(refused.value)
    with (
        pytest.raises(StoreUnavailable, match="sent more than the object's"),
        blobs.open_decrypted(NAME),
    ):
        pass
    blobs.row_of = lambda name: None  # verify gives the row's size itself
    with pytest.raises(StoreUnavailable, match=f"more than the object's {most} bytes"):
        list(blobs.read_file_chunks(NAME, 1000))
    assert state.sent <= 3 * 64 * MiB, state.sent  # three reads, each cut (not 3 x 256 MiB)


def test_a_vault_reads_each_blob_within_its_rows_size(
    admin: Session, case: str, tmp_path: Path
) -> None:
    """The session gives the blob store each blob's recorded size: an honest store's blob (a
    folder's, the trial server's SeaweedFS) reads back whole under the bound."""
    data = bytes(range(256)) * 12_000  # several age chunks, a blob of its own
    big = tmp_path / "video.mp4"
    big.write_bytes(data)
    assert not ingest(admin, case, [big], CustodyForm(exhibit="EX-7")).failed
    with admin.db() as db:
        name = db.execute(select(Blob.name).where(Blob.size == len(data))).scalar_one()
    assert admin.blobs.recorded_size(name) == len(data)
    assert admin.blobs.recorded_size("cd" * 32) is None
    assert b"".join(admin.blobs.read_file_chunks(name)) == data


PACK = "cd" * 16
PACK_KEY = f"packs/cd/{PACK}"


def _a_pack(tmp_path: Path, identity: agefmt.Identity) -> tuple[bytes, list[tuple[bytes, int]]]:
    """A real pack of several age chunks: its bytes and (object, offset) of each object."""
    writer = packs.PackWriter(str(tmp_path), [identity.recipient])
    objects = [(bytes([n]) * (30_000 + n * 997), 0) for n in range(12)]
    objects = [(data, writer.add(hashlib.sha256(data).hexdigest(), data)) for data, _ in objects]
    writer.seal()
    return Path(writer.path).read_bytes(), objects


def _longer_pack(real: bytes, ranges: list[tuple[int, int]]) -> Callable[..., None]:
    """The store holds the pack with bytes it added after it (without end: a whole GET gets
    256 MiB past the pack); a ranged GET is answered honestly from that, and noted."""

    def answer(handler: BaseHTTPRequestHandler, state: Hostile) -> None:
        asked = handler.headers.get("Range")
        if handler.command == "HEAD":
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(real) + 256 * MiB))
            handler.end_headers()
            return
        if handler.command != "GET":
            state.answer = _listing("", 500)  # a PUT: never expected
            _listing("", 500)(handler, state)
            return
        if asked is None:
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(real) + 256 * MiB))
            handler.end_headers()
            handler.wfile.write(real)
            block = b"x" * MiB
            while state.sent < 256 * MiB:
                handler.wfile.write(block)
                state.sent += len(block)
            return
        first, last = (int(n) for n in asked.removeprefix("bytes=").split("-"))
        ranges.append((first, last))
        body = (real + b"x" * (last + 1))[first : last + 1]
        handler.send_response(206)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer


def test_a_pack_is_read_up_to_its_recorded_size(hostile: Callable, tmp_path: Path) -> None:
    """A pack's encrypted size is recorded when it is written (``blobs.pack_size``): a store
    that holds (or sends) more than that is never read past it. A packed object reads back from
    ranges inside the recorded size (no HEAD asked: the store's size is not needed); verify's
    whole read of the pack, and a rotation's re-wrap of it, stop at the size, one line naming
    the pack, nothing spooled or uploaded past it."""
    identity = agefmt.Identity.generate()
    real, objects = _a_pack(tmp_path, identity)
    ranges: list[tuple[int, int]] = []
    store, state = hostile(_longer_pack(real, ranges))
    blobs = BlobStore(store, tmp_path, bytes(32), [identity.recipient], identity)
    rows = {
        f"{n:064x}": (PACK, offset, len(data), len(real))
        for n, (data, offset) in enumerate(objects)
    }
    blobs.row_of = rows.get
    blobs.pack_size_of = lambda pack: len(real) if pack == PACK else None
    last = f"{len(objects) - 1:064x}"  # the object in the pack's last chunk
    assert blobs.read_bytes(last) == objects[-1][0]
    assert blobs.read_bytes(f"{0:064x}") == objects[0][0]
    assert ranges and max(end for _, end in ranges) < len(real), ranges
    assert state.requests == len(ranges)  # ranged GETs only: no HEAD

    with pytest.raises(StoreUnavailable) as refused, blobs.open_pack(PACK):
        pass
    said = _one_line(refused.value)
    assert f"{PACK_KEY}: the store sent more than the object's {len(real)} bytes" in said, said
    assert state.sent <= 64 * MiB, state.sent  # cut, not 256 MiB

    before = state.requests
    older = agefmt.Identity.generate()
    spool = tmp_path / "spool"
    spool.mkdir()
    with pytest.raises(StoreUnavailable, match=f"more than the object's {len(real)} bytes"):
        serverrotation.rewrap_object(
            store, PACK_KEY, older, (identity,), [older.recipient], spool, len(real), True
        )
    assert state.requests == before + 1  # the GET, cut: no PUT of a longer pack
    assert not list(spool.iterdir())  # its temp file removed
