"""The ``--server`` URL: where the agency's PostgreSQL and S3 store are, never who may use them.

::

    postgresql://custos@127.0.0.1:15432/custos?sslrootcert=/srv/custos/ca.pem&s3=http://127.0.0.1:15433/custos

names the PostgreSQL host, port, role and database, the CA file its certificate is checked
against (``sslmode=verify-full``: the host name or IP must be in the certificate), and the S3
endpoint with its bucket as the path (``https`` endpoints are TLS-verified; ``s3ca=FILE`` gives a
CA file for them; plain ``http`` only to this machine: a store elsewhere must be https).
Credentials are not in the URL and are not stored by the workstation: the PostgreSQL password
comes from ``PGPASSWORD`` and the S3 key from ``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY``, else the command line asks for them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, urlsplit

from vault.errors import UserError

ENV_URL = "CUSTOS_SERVER"
ENV_PASSWORD = "PGPASSWORD"
ENV_ACCESS_KEY = "AWS_ACCESS_KEY_ID"
ENV_SECRET_KEY = "AWS_SECRET_ACCESS_KEY"


@dataclass(frozen=True)
class S3Endpoint:
    endpoint: str  # scheme://host:port
    bucket: str
    ca_file: str | None = None  # verify an https endpoint against this CA (else the system's)

    @property
    def tls(self) -> bool:
        return self.endpoint.startswith("https://")


@dataclass(frozen=True)
class ServerAddress:
    host: str
    port: int
    user: str
    database: str
    ca_file: str
    s3: S3Endpoint

    def url(self) -> str:
        s3 = f"{self.s3.endpoint}/{self.s3.bucket}"
        query = f"sslrootcert={quote(self.ca_file, safe='/')}&s3={quote(s3, safe=':/')}"
        if self.s3.ca_file:
            query += f"&s3ca={quote(self.s3.ca_file, safe='/')}"
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}?{query}"


@dataclass(frozen=True)
class Credentials:
    """What the workstation was given for one run; held in memory only."""

    password: str = field(repr=False)
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)


def _loopback(host: str) -> bool:
    """``host`` is this machine (``localhost`` or a loopback address), where plain http shows
    nothing to a network."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse(url: str) -> ServerAddress:
    """The address a ``--server`` value names; one ``UserError`` line for anything wrong."""
    bad = f"--server {url!r}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UserError(f"{bad}: not a server URL ({exc})") from None
    if parts.scheme not in ("postgresql", "postgres"):
        raise UserError(f"{bad}: must start with postgresql:// (see custos server up)")
    if parts.password is not None:
        raise UserError(
            f"{bad}: holds a password; give it in PGPASSWORD or at the prompt, never in the URL"
        )
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"sslrootcert", "s3", "s3ca"})
    if unknown:
        raise UserError(f"{bad}: unknown parameter {unknown[0]!r}")
    if not parts.hostname or not parts.username:
        raise UserError(f"{bad}: names no host or no user (postgresql://USER@HOST:PORT/DB)")
    database = parts.path.lstrip("/")
    if not database or "/" in database:
        raise UserError(f"{bad}: names no database (postgresql://USER@HOST:PORT/DB)")
    ca = query.get("sslrootcert", [""])[0]
    if not ca:
        raise UserError(f"{bad}: needs sslrootcert=CA-FILE (the server's CA certificate)")
    s3 = query.get("s3", [""])[0]
    try:
        s3_parts = urlsplit(s3)
        s3_port = s3_parts.port
    except ValueError as exc:
        raise UserError(f"{bad}: the s3 endpoint is not a URL ({exc})") from None
    bucket = s3_parts.path.strip("/")
    if s3_parts.scheme not in ("http", "https") or not s3_parts.hostname or not bucket:
        raise UserError(f"{bad}: needs s3=http(s)://HOST:PORT/BUCKET (the object store)")
    if s3_parts.username or s3_parts.password:
        raise UserError(f"{bad}: the s3 endpoint holds credentials; give them in AWS_* variables")
    if s3_parts.scheme == "http" and not _loopback(s3_parts.hostname):
        raise UserError(
            f"{bad}: the s3 endpoint must be https (with s3ca=CA-FILE if its certificate is not "
            "from a CA the system trusts): plain http is allowed to this machine only"
        )
    host = f"[{s3_parts.hostname}]" if ":" in s3_parts.hostname else s3_parts.hostname
    netloc = host if s3_port is None else f"{host}:{s3_port}"
    s3ca = query.get("s3ca", [""])[0] or None
    return ServerAddress(
        host=parts.hostname,
        port=port or 5432,
        user=parts.username,
        database=database,
        ca_file=ca,
        s3=S3Endpoint(f"{s3_parts.scheme}://{netloc}", bucket, s3ca),
    )
