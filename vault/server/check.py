"""``custos server check``: does the agency server answer, over TLS, with these credentials?"""

from __future__ import annotations

from dataclasses import dataclass, field

from vault.server import postgres
from vault.server.address import Credentials, ServerAddress


@dataclass
class CheckReport:
    found: list[str] = field(default_factory=list)  # what answered, one line each
    problems: list[str] = field(default_factory=list)  # what did not, one line each

    @property
    def ok(self) -> bool:
        return not self.problems


def check(address: ServerAddress, credentials: Credentials) -> CheckReport:
    """Connect to PostgreSQL (TLS, ``verify-full``) and report its and pgvector's versions;
    check the S3 bucket with a signed request. Every failure is one line; both are tried."""
    import psycopg

    report = CheckReport()
    where = f"PostgreSQL at {address.host}:{address.port}"
    try:
        with postgres.connect(address, credentials.password) as conn:
            server = conn.execute("SHOW server_version").fetchone()[0]
            row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            vector = row.fetchone()
            tls = conn.pgconn.ssl_in_use
        report.found.append(
            f"{where}: PostgreSQL {server}, TLS {'on' if tls else 'OFF'}, verified against "
            f"{address.ca_file}"
        )
        if vector is None:
            report.problems.append(f"{where}: pgvector is not installed in {address.database}")
        else:
            report.found.append(f"{where}: pgvector {vector[0]}")
    except psycopg.Error as exc:
        report.problems.append(postgres.problem(address, exc))
    from vault.objectstore import S3Store, StoreUnavailable

    store = S3Store(address.s3, credentials)
    try:
        store.check_bucket()
        report.found.append(f"S3 store {address.s3.endpoint}: bucket {address.s3.bucket} answers")
    except StoreUnavailable as exc:
        report.problems.append(str(exc))
    finally:
        store.close()
    return report
