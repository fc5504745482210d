"""A small S3 client: the few requests ``objectstore.S3Store`` makes, signed with AWS
Signature Version 4 and sent over ``http.client``.

Why not boto3 in the workstation's commands: importing boto3 and botocore and making a client
(which loads botocore's JSON service models) cost ~0.5 s of CPU at the start of every server
command, and each request ran through botocore's event hooks and s3transfer's threads; the
store needs nine requests, all of them plain (path-style addressing, one region, no
redirects). boto3 still serves the trial server's own checks and the tests' set-up.

What it keeps of boto3's behaviour (as ``objectstore.s3_client`` configured it):

* Signature V4, the payload's SHA-256 signed over http (the body cannot be altered on the way
  without the signature failing), ``UNSIGNED-PAYLOAD`` over https (TLS protects it, as
  botocore does for S3 over https); TLS verified against the endpoint's CA file or the
  system's.
* Three attempts for a connection that fails or a 500/502/503/504 answer (every request here is
  idempotent: a PUT of an object writes the same bytes again), a pause between them.
* Objects above ``MULTIPART`` bytes go up as a multipart upload, its parts sent on a few
  connections at once and the upload aborted on failure (an S3 object appears only once
  complete, so readers never see half of one).

Errors: ``S3Error`` (the store answered with an error: its code and HTTP status), ``S3Down``
(no answer: connection refused, reset, timed out), ``S3BadCertificate`` (TLS did not verify)
and ``S3Malformed`` (an answer no honest store gives).

The store is not trusted (SECURITY.md, the agency server's threat model): an answer is read up
to ``MOST_ANSWER`` bytes (or the range asked for), whatever its Content-Length says; XML
declaring a DOCTYPE (entities: billion laughs, external files) is refused before it is parsed;
a listing that hands back a continuation token it gave before is refused (it would never end);
an object streamed to a file stops at the size its caller expects (``get_chunks``' ``most``);
redirects are never followed (``http.client`` does not), and are errors.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import hmac
import http.client
import ssl
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, urlsplit

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED = "UNSIGNED-PAYLOAD"
MULTIPART = 64 << 20  # objects larger than this go up in parts
PART = 64 << 20
PART_THREADS = 4
ATTEMPTS = 3
BLOCK = 1 << 20  # bytes a file body is sent in
RETRY_STATUS = (500, 502, 503, 504)
_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
MOST_ANSWER = 16 << 20  # bytes of an answer read at most (a listing page is ~0.3 MiB)


class S3Error(Exception):
    """The store answered with an error."""

    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(f"{code or status}: {message}" if message else str(code or status))
        self.status, self.code = status, code or str(status)


class S3Down(Exception):
    """No answer from the store (refused, reset, timed out)."""


class S3BadCertificate(S3Down):
    """The store's TLS certificate does not verify."""


# A listing's truncated pages in a row with no key before it is refused (an honest store may
# answer a page or two empty while it skips what it cannot show; not one after another for ever).
EMPTY_PAGES = 3


class S3Malformed(S3Error):
    """The store's answer is one no honest store gives (too large, not the XML asked for, a
    listing that never ends): its one line says what."""

    def __init__(self, status: int, message: str) -> None:
        Exception.__init__(self, message)
        self.status, self.code = status, "MalformedResponse"


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


class S3Client:
    """Requests to one S3 endpoint with one pair of credentials (thread-safe: a connection per
    thread)."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        ca_file: str | None = None,
        region: str = "us-east-1",
        timeout: float = 10,
        service: str = "s3",
        read_timeout: float | None = None,
        attempts: int = ATTEMPTS,
    ) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{endpoint}: not an http(s) endpoint")
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        default = 443 if self.tls else 80
        self._host_header = parts.netloc if self.port != default else self.host
        self._base = parts.path.rstrip("/")
        self._access, self._secret = access_key, secret_key
        self._region = region
        self._service = service  # "iam" for the store's identity API (``vault.s3iam``)
        self._timeout = timeout
        self._read_timeout = max(timeout, 60) if read_timeout is None else read_timeout
        self._attempts = attempts
        self._context: ssl.SSLContext | None = None
        if self.tls:
            self._context = ssl.create_default_context(cafile=ca_file)
        self._local = threading.local()
        self._opened: list[http.client.HTTPConnection] = []  # every thread's, for close()
        self._opened_lock = threading.Lock()
        self._keys: tuple[str, bytes] = ("", b"")

    # -- the wire --------------------------------------------------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._context is not None:
                conn = http.client.HTTPSConnection(
                    self.host,
                    self.port,
                    timeout=self._timeout,
                    context=self._context,
                    blocksize=BLOCK,
                )
            else:
                conn = http.client.HTTPConnection(
                    self.host, self.port, timeout=self._timeout, blocksize=BLOCK
                )
            self._local.conn = conn
            with self._opened_lock:
                self._opened = [c for c in self._opened if c.sock is not None] + [conn]
        return conn

    def close(self) -> None:
        """Close every thread's connection (the store's end: no socket left to the collector)."""
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    def _signing_key(self, day: str) -> bytes:
        cached_day, key = self._keys
        if cached_day != day:
            key = ("AWS4" + self._secret).encode()
            for part in (day, self._region, self._service, "aws4_request"):
                key = hmac.digest(key, part.encode(), hashlib.sha256)
            self._keys = (day, key)
        return key

    def _headers(
        self, method: str, path: str, query: dict[str, str], payload: str
    ) -> dict[str, str]:
        now = datetime.datetime.now(datetime.UTC)
        stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        canonical_query = "&".join(
            f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items())
        )
        signed = "host;x-amz-content-sha256;x-amz-date"
        canonical = "\n".join(
            (
                method,
                quote(path, safe="/-_.~"),
                canonical_query,
                f"host:{self._host_header}\nx-amz-content-sha256:{payload}\nx-amz-date:{stamp}\n",
                signed,
                payload,
            )
        )
        scope = f"{day}/{self._region}/{self._service}/aws4_request"
        to_sign = "\n".join(
            ("AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest())
        )
        signature = hmac.new(self._signing_key(day), to_sign.encode(), hashlib.sha256).hexdigest()
        return {
            "Host": self._host_header,
            "x-amz-date": stamp,
            "x-amz-content-sha256": payload,
            "Authorization": (
                f"AWS4-HMAC-SHA256 Credential={self._access}/{scope}, "
                f"SignedHeaders={signed}, Signature={signature}"
            ),
        }

    def request(
        self,
        method: str,
        bucket: str,
        key: str = "",
        query: dict[str, str] | None = None,
        body: bytes | Path | tuple[Path, int, int] = b"",
        headers: dict[str, str] | None = None,
        stream: bool = False,
        most: int = MOST_ANSWER,
    ) -> Response | http.client.HTTPResponse:
        """One signed request, tried up to ``ATTEMPTS`` times (``attempts``); the answer read
        whole, up to ``most`` bytes (or, with ``stream``, the open response of a 200/206 to
        read from). ``body``: bytes, a file, or (file, offset, length) for a part of one. Raises
        ``S3Error``/``S3Down``; ``S3Malformed`` for an answer larger than ``most``."""
        query = query or {}
        path = f"{self._base}/{bucket}" + (f"/{key}" if key else "")
        payload = _payload_hash(body, self.tls)
        target = quote(path, safe="/-_.~")
        if query:
            target += "?" + "&".join(
                f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in query.items()
            )
        for attempt in range(1, self._attempts + 1):
            sent = {**self._headers(method, path, query, payload), **(headers or {})}
            try:
                conn = self._connection()
                with _body(body) as (data, length):
                    sent["Content-Length"] = str(length)
                    if method in ("GET", "HEAD", "DELETE") and not length:
                        del sent["Content-Length"]
                    conn.request(method, target, body=data, headers=sent)
                    if conn.sock is not None:
                        conn.sock.settimeout(self._read_timeout)
                    response = conn.getresponse()
                    if stream and response.status in (200, 206):
                        # the caller reads it: this thread's next request gets a connection
                        # of its own meanwhile (``get_chunks`` gives this one back)
                        self._local.conn = None
                        response.custos_conn = conn  # type: ignore[attr-defined]
                        return response
                    content = response.read(most + 1)  # never what Content-Length claims
            except ssl.SSLCertVerificationError as exc:
                self._drop_connection()
                raise S3BadCertificate(str(exc)) from None
            except (OSError, http.client.HTTPException) as exc:
                self._drop_connection()
                if attempt == self._attempts:
                    raise S3Down(f"{type(exc).__name__}: {exc}") from None
                time.sleep(0.2 * attempt)
                continue
            if len(content) > most:
                self._drop_connection()  # the rest of it stays unread
                raise S3Malformed(
                    response.status, f"the store's answer is larger than {_size(most)} (refused)"
                )
            if response.status in RETRY_STATUS and attempt < self._attempts:
                time.sleep(0.2 * attempt)
                continue
            if response.will_close:
                self._drop_connection()
            answer = Response(response.status, dict(response.getheaders()), content)
            if response.status >= 300:
                raise _error(answer, method)
            return answer
        raise AssertionError("unreachable")

    def _whole(self, *args: object, **kwargs: object) -> Response:
        answer = self.request(*args, **kwargs)  # type: ignore[arg-type]
        assert isinstance(answer, Response)
        return answer

    # -- the requests the store makes -------------------------------------------------------

    def head_bucket(self, bucket: str) -> None:
        self._whole("HEAD", bucket)

    def head(self, bucket: str, key: str) -> dict[str, str]:
        return {k.lower(): v for k, v in self._whole("HEAD", bucket, key).headers.items()}

    def get(self, bucket: str, key: str, offset: int = 0, size: int | None = None) -> bytes:
        headers = {} if size is None else {"Range": f"bytes={offset}-{offset + size - 1}"}
        most = MOST_ANSWER if size is None else max(size, MOST_ANSWER)
        body = self._whole("GET", bucket, key, headers=headers, most=most).body
        if size is not None and len(body) > size:
            raise S3Malformed(206, f"the store answered {len(body)} bytes for a range of {size}")
        return body

    def get_chunks(
        self, bucket: str, key: str, chunk: int, most: int | None = None
    ) -> Iterator[bytes]:
        """An object in blocks of ``chunk`` bytes; with ``most`` (the bytes the caller knows the
        object has at most), ``S3Malformed`` as soon as the store sends more, before any byte
        past ``most`` is handed on (a store that never ends a GET cannot fill a disk)."""
        response = self.request("GET", bucket, key, stream=True)
        if isinstance(response, Response):  # an empty object
            yield response.body
            return
        conn = response.custos_conn  # type: ignore[attr-defined]
        reusable = False
        got = 0
        try:
            while block := response.read(chunk if most is None else min(chunk, most - got + 1)):
                got += len(block)
                if most is not None and got > most:
                    raise S3Malformed(
                        response.status,
                        f"{key}: the store sent more than the object's {most} bytes",
                    )
                yield block
            reusable = not response.will_close
        except (OSError, http.client.HTTPException) as exc:
            raise S3Down(f"{type(exc).__name__}: {exc}") from None
        finally:
            response.close()
            if reusable and getattr(self._local, "conn", None) is None:
                self._local.conn = conn
            else:
                conn.close()

    def delete(self, bucket: str, key: str) -> None:
        self._whole("DELETE", bucket, key)

    def put_bytes(self, bucket: str, key: str, data: bytes) -> None:
        self._whole("PUT", bucket, key, body=data)

    def put_file(self, bucket: str, key: str, path: Path) -> None:
        size = path.stat().st_size
        if size <= MULTIPART:
            self._whole("PUT", bucket, key, body=path)
            return
        started = self._whole("POST", bucket, key, query={"uploads": ""})
        upload = _text(started.body, "UploadId")
        try:
            parts = [(n + 1, at, min(PART, size - at)) for n, at in enumerate(range(0, size, PART))]

            def send(part: tuple[int, int, int]) -> str:
                number, at, length = part
                answer = self._whole(
                    "PUT",
                    bucket,
                    key,
                    query={"partNumber": str(number), "uploadId": upload},
                    body=(path, at, length),
                )
                return {k.lower(): v for k, v in answer.headers.items()}["etag"]

            with ThreadPoolExecutor(PART_THREADS, thread_name_prefix="custos-part") as pool:
                tags = list(pool.map(send, parts))
            listing = "".join(
                f"<Part><PartNumber>{n}</PartNumber><ETag>{tag}</ETag></Part>"
                for (n, _, _), tag in zip(parts, tags, strict=True)
            )
            body = f"<CompleteMultipartUpload>{listing}</CompleteMultipartUpload>".encode()
            done = self._whole("POST", bucket, key, query={"uploadId": upload}, body=body)
            if b"<Error>" in done.body:  # S3 may answer 200 and report the failure inside
                raise _error(Response(500, done.headers, done.body), "POST")
        except BaseException:
            with contextlib.suppress(S3Error, S3Down):
                self._whole("DELETE", bucket, key, query={"uploadId": upload})
            raise

    def list_keys(self, bucket: str, prefix: str, page: int = 1000) -> Iterator[str]:
        """Every key under ``prefix``, ``page`` keys a request."""
        token = ""
        given: set[str] = set()
        empty = 0  # truncated pages in a row without a key
        while True:
            query = {"list-type": "2", "prefix": prefix, "max-keys": str(page)}
            if token:
                if token in given:
                    raise S3Malformed(
                        200, "the store's listing gave the same continuation token again"
                    )
                given.add(token)
                query["continuation-token"] = token
            root = _xml(self._whole("GET", bucket, query=query).body, "a listing")
            empty += 1
            for contents in root.iter(_NS + "Contents"):
                key = contents.findtext(_NS + "Key")
                if key is not None:
                    empty = 0
                    yield key
            token = root.findtext(_NS + "NextContinuationToken") or ""
            if root.findtext(_NS + "IsTruncated") != "true" or not token:
                return
            if empty >= EMPTY_PAGES:
                raise S3Malformed(
                    200,
                    f"the store's listing of {prefix!r} gave {empty} pages in a row with no keys, "
                    "each saying more follow",
                )


def _payload_hash(body: bytes | Path | tuple[Path, int, int], tls: bool) -> str:
    if isinstance(body, bytes):
        return hashlib.sha256(body).hexdigest() if body or not tls else EMPTY_SHA256
    if tls:
        return UNSIGNED
    path, at, length = (body, 0, body.stat().st_size) if isinstance(body, Path) else body
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        fh.seek(at)
        left = length
        while left > 0 and (block := fh.read(min(left, 1 << 20))):
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


@contextlib.contextmanager
def _body(
    body: bytes | Path | tuple[Path, int, int],
) -> Iterator[tuple[bytes | BinaryIO | Iterator[bytes], int]]:
    if isinstance(body, bytes):
        yield body, len(body)
        return
    path, at, length = (body, 0, body.stat().st_size) if isinstance(body, Path) else body
    with open(path, "rb") as fh:
        if at == 0 and isinstance(body, Path):
            yield fh, length
            return
        fh.seek(at)

        def blocks() -> Iterator[bytes]:
            left = length
            while left > 0 and (block := fh.read(min(left, 1 << 20))):
                yield block
                left -= len(block)

        yield blocks(), length


def _size(count: int) -> str:
    return f"{count >> 20} MiB" if count >= 1 << 20 else f"{count} bytes"


def _xml(body: bytes, what: str) -> ElementTree.Element:
    """The store's XML answer parsed; ``S3Malformed`` for one that is not XML, or that declares
    a DOCTYPE (the only way to entities: expanded ones, billion laughs; external ones, which
    ElementTree would not fetch but which no store sends)."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise S3Malformed(200, f"the store's answer is not {what} (it declares a DOCTYPE)")
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise S3Malformed(200, f"the store's answer is not {what} (not XML)") from None


def _text(xml: bytes, tag: str) -> str:
    root = _xml(xml, "an answer to an upload")
    found = root.findtext(_NS + tag) or root.findtext(tag)
    if not found:
        raise S3Malformed(500, f"no {tag} in the store's answer")
    return found


def _error(answer: Response, method: str) -> S3Error:
    code, message = "", ""
    if answer.body and method != "HEAD":
        with contextlib.suppress(S3Malformed):
            root = _xml(answer.body, "an error")
            # S3's <Error><Code>, IAM's <ErrorResponse><Error><Code> (any namespace)
            code = root.findtext("Code") or root.findtext(".//{*}Code") or ""
            message = root.findtext("Message") or root.findtext(".//{*}Message") or ""
    if not code and answer.status == 404:
        code = "404"
    return S3Error(answer.status, code, message)
