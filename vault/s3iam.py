"""Each workstation's own S3 key, made and removed through the store's AWS-IAM-compatible API.

On an agency server every workstation used to reach the object store with the one key the
admin was given, which may also delete objects and administer the bucket: a revoked desk kept
it. Now ``custos workstation enrol`` also makes the desk an IAM user of its own in the store
(named like its PostgreSQL login, ``custos_ws_`` and 20 hex digits: the workstation's name is
sealed on the server), gives it the policy ``DESK_POLICY`` and an access key, shown to the admin
once and kept nowhere; ``custos workstation revoke`` deletes the user's keys, its policy and the
user, so the store itself refuses the desk's next request.

The API is the one AWS IAM speaks (Query API, form-encoded POST to ``/``, SigV4 with service
``iam``): SeaweedFS (4.48 embeds it in its S3 server on the same port, writable with
``-s3.iam.readOnly=false``), Ceph RGW, and AWS itself (whose IAM endpoint is not the S3 one:
there the store's URL is not enough, and enrol says what the admin creates by hand). The
requests are signed by ``vault.s3wire`` (no boto3 at any command's start).

What a desk's key may do (``DESK_POLICY``): read, write and list the vault's bucket, abort its
own multipart uploads, and delete one object, ``.unsettled`` (the crash marker each session
sets and clears: ``vault.blobs``). It may not delete evidence objects, create or delete buckets,
change bucket policies, or use the IAM API. SeaweedFS 4.48 enforces each of these (tests).
It may still overwrite an object with a PUT (S3 has no "create only" permission without object
lock): object names are their content's digest, so verify names an overwritten object.

The store is not trusted more than for S3 (``vault.s3wire``): an answer is read up to
``MOST_ANSWER`` bytes, XML declaring a DOCTYPE is refused, and any failure is one line.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:
    from vault.server.address import Credentials, S3Endpoint

MOST_ANSWER = 64 << 10  # an IAM answer is a few hundred bytes
# Revoke removes the key inside its transaction, which holds the server's audit lock (every
# desk's writes wait for it): each request is tried once and waits at most this long for the
# store, and no request starts after REVOKE_WAIT from the first (a store that does not answer
# costs the others seconds, and revoke says the store could not be told).
REVOKE_WAIT = 4.0
# What an access key id and a secret are made of (AWS, Ceph, SeaweedFS), and a sane length:
# anything else (a line break, a terminal escape, a bidi control) is refused, never printed.
_KEY = re.compile(r"[A-Za-z0-9+/=]{1,128}")
POLICY = "custos-desk"
VERSION = "2010-05-08"
# What a store without an IAM API the admin may use answers (SeaweedFS with IAM read-only:
# AccessDenied; a store with no IAM API at all: 404/405/501, or an S3 error about the request).
NO_IAM = (
    "AccessDenied",
    "NotImplemented",
    "InvalidAction",
    "MethodNotAllowed",
    "InvalidRequest",
    "NoSuchBucket",
    "InvalidBucketName",
    "InvalidArgument",
    "UnsupportedOperation",
)


class IamUnavailable(Exception):
    """The store has no IAM API the admin's key may use (its one line says what it answered)."""


class IamFailed(Exception):
    """The IAM API could not be used now (no answer, a hostile answer): one line."""


@dataclass(frozen=True)
class StoreKey:
    """A workstation's own S3 key, as enrolment made it (the secret shown once, kept nowhere)."""

    user: str
    access_key: str
    secret_key: str = field(repr=False)


def desk_policy(bucket: str) -> dict[str, object]:
    """The policy of a workstation's IAM user: the actions a desk needs on ``bucket``."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
                "Resource": [f"arn:aws:s3:::{bucket}/*"],
            },
            {
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}"],
            },
            {
                "Effect": "Allow",
                "Action": ["s3:DeleteObject"],
                "Resource": [f"arn:aws:s3:::{bucket}/.unsettled"],
            },
        ],
    }


def by_hand(user: str, bucket: str) -> str:
    """What the admin makes by hand where the store has no IAM API for Custos: one line."""
    return (
        f"make by hand, in the store's identity system, user {user} with its own access key "
        f"and only s3:GetObject, s3:PutObject, s3:AbortMultipartUpload on arn:aws:s3:::{bucket}/*, "
        f"s3:ListBucket on arn:aws:s3:::{bucket}, s3:DeleteObject on "
        f"arn:aws:s3:::{bucket}/.unsettled (README, Agency server)"
    )


class Iam:
    """The store's IAM API, signed with the admin's S3 key."""

    def __init__(
        self, endpoint: S3Endpoint, credentials: Credentials, wait: float | None = None
    ) -> None:
        """``wait``: each request tried once, waiting at most ``wait`` seconds for the store,
        none started ``wait`` seconds after the first (else s3wire's attempts and timeouts)."""
        from vault.s3wire import ATTEMPTS, S3Client

        self.endpoint = endpoint
        self._wait, self._deadline = wait, 0.0
        timeout, read, attempts = (10.0, None, ATTEMPTS) if wait is None else (wait, wait, 1)
        self._wire = S3Client(
            endpoint.endpoint,
            credentials.access_key,
            credentials.secret_key,
            ca_file=endpoint.ca_file if endpoint.tls else None,
            service="iam",
            timeout=timeout,
            read_timeout=read,
            attempts=attempts,
        )

    def close(self) -> None:
        self._wire.close()

    def call(self, action: str, **params: str) -> object:
        """One IAM action; its answer's root element. ``IamUnavailable`` when the store says it
        has no such API for this key, ``IamFailed`` for anything else, ``S3Error`` (its code)
        for an error the caller may expect (NoSuchEntity, EntityAlreadyExists)."""
        from vault import s3wire

        body = urlencode({"Action": action, "Version": VERSION, **params}).encode()
        where = f"the store's IAM API at {self.endpoint.endpoint}"
        if self._wait is not None:
            if not self._deadline:
                self._deadline = time.monotonic() + self._wait
            elif time.monotonic() > self._deadline:
                raise IamFailed(f"{where}: no answer within {self._wait:g} s ({action} not sent)")
        try:
            answer = self._wire.request(
                "POST",
                "",
                body=body,
                headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                most=MOST_ANSWER,
            )
        except s3wire.S3Malformed as exc:
            raise IamFailed(f"{where}: {_line(str(exc))}") from None
        except s3wire.S3Error as exc:
            if exc.code in ("NoSuchEntity", "EntityAlreadyExists"):
                raise
            if exc.code in NO_IAM or exc.status in (404, 405, 501):
                raise IamUnavailable(f"{where} refused {action} ({_line(str(exc))})") from None
            raise IamFailed(f"{where} refused {action} ({_line(str(exc))})") from None
        except s3wire.S3Down as exc:
            raise IamFailed(f"{where}: no answer ({_line(str(exc))})") from None
        assert isinstance(answer, s3wire.Response)
        try:
            return s3wire._xml(answer.body, f"an answer to {action}")
        except s3wire.S3Malformed as exc:
            raise IamFailed(f"{where}: {exc}") from None

    def make_key(self, user: str, bucket: str) -> StoreKey:
        """User ``user`` (made, or found from an enrolment that did not finish), its policy set
        to the desk's, its old keys removed and one new key made."""
        from vault import s3wire

        try:
            self.call("CreateUser", UserName=user)
        except s3wire.S3Error as exc:
            if exc.code != "EntityAlreadyExists":
                raise IamFailed(f"the store's IAM API refused CreateUser ({exc.code})") from None
        self.call(
            "PutUserPolicy",
            UserName=user,
            PolicyName=POLICY,
            PolicyDocument=json.dumps(desk_policy(bucket), separators=(",", ":")),
        )
        for old in self._keys(user):
            self.call("DeleteAccessKey", UserName=user, AccessKeyId=old)
        root = self.call("CreateAccessKey", UserName=user)
        access = _find(root, "AccessKeyId")
        secret = _find(root, "SecretAccessKey")
        if not (_KEY.fullmatch(access) and _KEY.fullmatch(secret)):  # shown to the admin
            raise IamFailed("the store's IAM API answered CreateAccessKey without a usable key")
        return StoreKey(user, access, secret)

    def remove_user(self, user: str) -> bool:
        """Every key of ``user`` deleted (the store refuses them from now on), then its policy
        and the user. False if it had no key to delete: no such user (AWS and Ceph answer
        NoSuchEntity, SeaweedFS an empty listing), so the desk uses a key that is not its own."""
        from vault import s3wire

        try:
            keys = self._keys(user)
        except s3wire.S3Error as exc:
            if exc.code == "NoSuchEntity":
                return False
            raise IamFailed(f"the store's IAM API refused ListAccessKeys ({exc.code})") from None
        for key in keys:
            self.call("DeleteAccessKey", UserName=user, AccessKeyId=key)
        for action, params in (
            ("DeleteUserPolicy", {"PolicyName": POLICY}),
            ("DeleteUser", {}),
        ):
            try:
                self.call(action, UserName=user, **params)
            except s3wire.S3Error as exc:
                if exc.code != "NoSuchEntity":
                    raise IamFailed(f"the store's IAM API refused {action} ({exc.code})") from None
        return bool(keys)

    def _keys(self, user: str) -> list[str]:
        root = self.call("ListAccessKeys", UserName=user)
        keys = [
            (e.text or "").strip()
            for e in root.iter()  # type: ignore[attr-defined]
            if _local(e.tag) == "AccessKeyId"
        ]
        if len(keys) > 100:
            raise IamFailed("the store's IAM API listed more than 100 keys for one user (refused)")
        return [k for k in keys if k]


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _find(root: object, tag: str) -> str:
    for e in root.iter():  # type: ignore[attr-defined]
        if _local(e.tag) == tag:
            return (e.text or "").strip()
    return ""


def _line(text: str) -> str:
    """A store's message as part of one line: its first line, at most 200 characters."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first[:200] + ("..." if len(first) > 200 else "")
