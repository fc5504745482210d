"""A hostile (or absent) IAM API where enrol and revoke make and remove a workstation's own S3
key (``vault.s3iam``; SECURITY.md, the agency server's threat model).

The store is a real HTTP server of the test's own on loopback answering what an operator who
controls it could: garbage where XML should be, a DOCTYPE, a body that never ends, an error
whose message runs to megabytes over many lines, no answer at all. Enrol refuses in one line
(its transaction not committed), revoke says in one line that the store could not be told; a
store with no IAM API the admin may use gets the one line saying what to make by hand."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from vault.backend import Server, ServerBackend
from vault.errors import UserError
from vault.s3iam import StoreKey
from vault.server.address import Credentials

MiB = 1 << 20
USER = "custos_ws_0123456789abcdef0123"
CREATED = (
    '<CreateAccessKeyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
    "<CreateAccessKeyResult><AccessKey><UserName>u</UserName><AccessKeyId>AKIAEXAMPLE</AccessKeyId>"
    "<SecretAccessKey>s3cr3t</SecretAccessKey></AccessKey></CreateAccessKeyResult>"
    "</CreateAccessKeyResponse>"
)


class Store:
    def __init__(self, answer: Callable[[BaseHTTPRequestHandler, str, Store], None]) -> None:
        self.answer = answer
        self.sent = 0
        self.actions: list[str] = []


@pytest.fixture()
def store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., ServerBackend]]:
    monkeypatch.setenv("CUSTOS_CACHE_DIR", str(tmp_path / "cache"))
    servers: list[ThreadingHTTPServer] = []

    def start(answer: Callable[..., None]) -> ServerBackend:
        state = Store(answer)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = self.rfile.read(length).decode()
                action = dict(p.split("=", 1) for p in form.split("&")).get("Action", "")
                state.actions.append(action)
                with contextlib.suppress(OSError):
                    state.answer(self, action, state)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        port = server.server_address[1]
        url = (
            f"postgresql://custos@127.0.0.1:1/custos?sslrootcert=/nowhere/ca.pem"
            f"&s3=http://127.0.0.1:{port}/custos"
        )
        backend = ServerBackend(Server(url, Credentials("pw", "admin-key", "admin-secret")))
        backend.state = state  # type: ignore[attr-defined]
        return backend

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("Content-Type", "text/xml")
    handler.end_headers()
    handler.wfile.write(body)


def _one_line(text: str) -> str:
    assert "\n" not in text and "Traceback" not in text and len(text) < 1000, text
    return text


def test_an_honest_iam_api_gives_the_workstation_its_key(store: Callable) -> None:
    def answer(h: BaseHTTPRequestHandler, action: str, _: Store) -> None:
        body = CREATED if action == "CreateAccessKey" else f"<{action}Response/>"
        _send(h, 200, body.encode())

    backend = store(answer)
    made = backend.open_store_key(USER)
    assert made == StoreKey(USER, "AKIAEXAMPLE", "s3cr3t")
    assert "s3cr3t" not in repr(made)
    assert backend.state.actions == [
        "CreateUser",
        "PutUserPolicy",
        "ListAccessKeys",
        "CreateAccessKey",
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"this is not xml at all \x00\xff",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>',
        b"<CreateAccessKeyResponse><AccessKeyId>" + b"A" * 4000 + b"</AccessKeyId>"
        b"<SecretAccessKey>x</SecretAccessKey></CreateAccessKeyResponse>",
        # printed to the admin's terminal (and shown in the GUI): only what a key is made of
        b"<CreateAccessKeyResponse><AccessKeyId>AKIA\nits S3 key was removed</AccessKeyId>"
        b"<SecretAccessKey>s3cr3t</SecretAccessKey></CreateAccessKeyResponse>",
        "<CreateAccessKeyResponse><AccessKeyId>AKIAEXAMPLE</AccessKeyId><SecretAccessKey>"
        "s3cr3t\u202e\u2066 [red]x[/]</SecretAccessKey></CreateAccessKeyResponse>".encode(),
        b"<CreateAccessKeyResponse><AccessKeyId>AKIA&#x9;EXAMPLE</AccessKeyId>"
        b"<SecretAccessKey>s3cr3t</SecretAccessKey></CreateAccessKeyResponse>",
    ],
    ids=["garbage", "doctype", "absurd-key", "newline-in-key", "bidi-in-secret", "tab-in-key"],
)
def test_a_hostile_answer_refuses_enrolment_in_one_line(store: Callable, body: bytes) -> None:
    backend = store(lambda h, action, _: _send(h, 200, body))
    with pytest.raises(UserError) as refused:
        backend.open_store_key(USER)
    said = _one_line(str(refused.value))
    assert "the workstation's own S3 key could not be made" in said
    assert "removed" not in said and "\u202e" not in said and "s3cr3t" not in said
    if b"<r>" in body or b"not xml" in body:  # revoke is told the same: one line
        problem = backend.close_store_key(USER)
        assert problem is not None and "the store could not be told" in _one_line(problem)
        assert USER in problem


def test_an_answer_that_never_ends_is_read_to_a_bound(store: Callable) -> None:
    def endless(h: BaseHTTPRequestHandler, action: str, state: Store) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(1 << 40))
        h.end_headers()
        block = b"<" + b"x" * (MiB - 1)
        while state.sent < 256 * MiB:
            h.wfile.write(block)
            state.sent += len(block)

    backend = store(endless)
    with pytest.raises(UserError) as refused:
        backend.open_store_key(USER)
    assert "larger than" in _one_line(str(refused.value))
    assert backend.state.sent <= 64 * MiB, backend.state.sent


def test_an_error_of_thousands_of_lines_is_one_short_line(store: Callable) -> None:
    message = ("line\n" * 6_000).encode()  # 30 KB, within the bound
    body = b"<ErrorResponse><Error><Code>Throttling</Code><Message>" + message
    body += b"</Message></Error></ErrorResponse>"
    backend = store(lambda h, action, _: _send(h, 400, body))
    with pytest.raises(UserError) as refused:
        backend.open_store_key(USER)
    assert "Throttling" in _one_line(str(refused.value))


def test_a_store_without_an_iam_api_for_this_key_says_what_to_make_by_hand(
    store: Callable,
) -> None:
    """SeaweedFS with its IAM API read-only (a trial server started before this change) answers
    AccessDenied; a store with none, 405 or 501: enrol goes on and says what the admin makes
    by hand; revoke says what to remove."""
    denied = (
        b"<ErrorResponse><Error><Code>AccessDenied</Code><Message>IAM write operations are "
        b"disabled on this server</Message></Error></ErrorResponse>"
    )
    for status, body in ((403, denied), (501, b""), (405, b"")):
        backend = store(lambda h, action, _, s=status, b=body: _send(h, s, b))
        said = backend.open_store_key(USER)
        assert isinstance(said, str)
        _one_line(said)
        assert f"user {USER} with its own access key" in said
        assert "s3:DeleteObject on arn:aws:s3:::custos/.unsettled" in said
        problem = backend.close_store_key(USER)
        assert problem is not None and f"access keys of user {USER}" in _one_line(problem)


def test_no_store_at_all_is_one_line(store: Callable, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    url = f"postgresql://custos@127.0.0.1:1/custos?sslrootcert=/ca.pem&s3=http://127.0.0.1:{port}/b"
    backend = ServerBackend(Server(url, Credentials("pw", "k", "s")))
    with pytest.raises(UserError) as refused:
        backend.open_store_key(USER)
    assert "no answer" in _one_line(str(refused.value))
    assert "could not be told" in _one_line(backend.close_store_key(USER) or "")


@pytest.mark.parametrize("listing", ["no-such-entity", "empty"])
def test_revoking_a_desk_without_a_key_of_its_own_says_so(store: Callable, listing: str) -> None:
    """A desk enrolled before it got its own S3 key (or where none could be made) has no IAM
    user: the store answers NoSuchEntity (AWS, Ceph) or an empty key listing (SeaweedFS).
    Revoke removes nothing there, and says so in one line: the key the desk uses still works."""

    def answer(h: BaseHTTPRequestHandler, action: str, _: Store) -> None:
        if action == "ListAccessKeys" and listing == "no-such-entity":
            _send(
                h,
                404,
                b"<ErrorResponse><Error><Code>NoSuchEntity</Code><Message>no user</Message>"
                b"</Error></ErrorResponse>",
            )
        else:
            _send(h, 200, f"<{action}Response/>".encode())

    backend = store(answer)
    problem = backend.close_store_key(USER)
    assert problem == ("it had no S3 key of its own: the key it was given still works; rotate it")
    assert backend.state.actions[0] == "ListAccessKeys"


def test_revoke_gives_up_on_a_store_that_does_not_answer_within_seconds(store: Callable) -> None:
    """Revoke asks the store inside its transaction, which holds the server's audit lock every
    desk's writes wait for: a store that takes the request and never answers costs one request
    of at most ``REVOKE_WAIT`` seconds (tried once, not three times 60 s), and revoke says the
    store could not be told (the bound here is generous: the load of a shared machine)."""
    from vault.s3iam import REVOKE_WAIT

    released = threading.Event()
    backend = store(lambda h, action, _: released.wait(300))
    try:
        started = time.monotonic()
        problem = backend.close_store_key(USER)
        took = time.monotonic() - started
    finally:
        released.set()
    assert problem is not None and "the store could not be told" in _one_line(problem)
    assert "no answer" in problem and f"access keys of user {USER}" in problem
    assert backend.state.actions == ["ListAccessKeys"]
    assert took < REVOKE_WAIT + 20, took


@pytest.mark.server
def test_enrol_asks_the_store_before_its_transaction_so_other_writes_go_on(
    server_alice: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While enrol waits for the store's IAM API (slow, or not answering) no lock of the
    server's is held: another session's write goes through meanwhile. (Enrol used to ask the
    store in its transaction, after its audit entry: the write waited for the whole of it.)"""
    from service.opener import unlock
    from vault import workstations
    from vault.cases import create_case
    from vault.session import Session
    from vaultkit import PASSWORD, place_of

    assert isinstance(server_alice, Session)
    place = place_of(server_alice)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "machine-a"))
    other = unlock(place, "alice", PASSWORD)
    wrote = threading.Event()
    failed: list[BaseException] = []

    def write() -> None:
        try:
            create_case(other, "C-2", "written while the store is asked", ["fraud"])
            wrote.set()
        except BaseException as exc:  # reported by the test
            failed.append(exc)

    def slow_store(user: str) -> str:
        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        writer.join(60)  # with the audit lock held here, the write would wait the whole minute
        return "the store was slow"

    monkeypatch.setattr(server_alice.backend, "open_store_key", slow_store)
    try:
        done = workstations.enrol(server_alice, "desk-a")
        assert done.store_key == "the store was slow"
        assert wrote.is_set() and not failed, failed
    finally:
        wrote.wait(120)
        other.close()
