"""Storing one small source file into ``tmp/`` as an age file: the part of ingest that needs no
vault secret, so it can run in worker processes (see ``vault.ingest``, "many small files").

A worker gets the temp folder and the two PUBLIC recipients only. Per file it opens the source
(``O_NOFOLLOW``), reads it once, hashes it (SHA-256; SHA-1 and MD5 too for a case that shares
hash sets) and age-encrypts it into
``tmp/<random>``; the file key is made here and never leaves the process. The main process then
names the blob (keyed HMAC: that key stays there), renames it in, syncs and commits.

``encrypt_into`` is the one "store one file" loop, used here and by ``vault.ingest`` for large
files in-process.

This module imports nothing of the vault but ``agefmt`` and ``hashing`` (standard library only):
a worker starts in about 0.1 s.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from vault import agefmt, packs
from vault.hashing import MultiHasher

CHUNK = 1 << 20
FULL = "the vault's disk is full; free space and ingest again"
CHANGED = "the file changed while it was being read; not stored"

# What ``store_file`` returns per file (plain tuples: they cross the process boundary cheaply):
#   ("ok", temp file name, size, sha256, sha1, md5, st_mtime, derived)
#       (sha1, md5: None without hash sets; derived: ``Derivers.run``'s dict, usually empty)
#   ("packed", temp pack name, size, sha256, sha1, md5, st_mtime, offset in the pack, derived)
#   ("source", reason)  the source could not be read or changed while read: skipped
#   ("vault", reason)   writing to the vault failed (disk full, I/O error): the job stops
Outcome = tuple[Any, ...]

# A layer's ``vault.schema.Derive`` by name, as it crosses to a worker process:
# (layer, module, wants function, compute function, largest file kept).
DeriveSpec = tuple[str, str, str, str, int]


class Derivers:
    """The layers' ``vault.schema.Derive`` functions for one ingest: which files to keep in
    memory while they are read, and what each layer makes of a kept file's bytes."""

    def __init__(
        self, found: list[tuple[str, Callable[[str], bool], Callable[[str, bytes], Any], int]]
    ) -> None:
        self._found = found

    @classmethod
    def of(cls, derivers: Any) -> Derivers:
        """From ``vault.schema.Schema.derivers``: (layer name, ``Derive``) pairs."""
        return cls([(name, d.wants, d.compute, d.limit) for name, d in derivers])

    @classmethod
    def imported(cls, specs: list[DeriveSpec]) -> Derivers:
        """In a worker: the functions imported by name (their modules import little at load)."""
        import importlib

        found = []
        for layer, module, wants, compute, limit in specs:
            mod = importlib.import_module(module)
            found.append((layer, getattr(mod, wants), getattr(mod, compute), limit))
        return cls(found)

    def wanted(self, name: str, size: int) -> bool:
        """Whether some layer wants this file's bytes (then ingest keeps them while reading)."""
        return any(size <= limit and wants(name) for _, wants, _, limit in self._found)

    def run(self, name: str, data: bytes) -> dict[str, Any]:
        """Each wanting layer's result for a file read unchanged (None results left out)."""
        out = {}
        for layer, wants, compute, limit in self._found:
            if len(data) <= limit and wants(name):
                value = compute(name, data)
                if value is not None:
                    out[layer] = value
        return out


NO_DERIVERS = Derivers([])


def serve() -> None:
    """A worker's main loop (``python -c`` started by ``Workers``), on stdin and stdout.

    First message: (temp folder, raw public keys of the recipients, the main process's id,
    whether to compute the hash-set digests, the layers' ``DeriveSpec`` list).
    Then each message is (pack them, a list of paths), answered by the list of their outcomes
    (with pack them: one pack of all of them, ``pack_files``); None ends the
    job. End of input without it means the main process died: the worker stops at once. Input
    is read ahead on a thread, so the main process never waits to send while this one waits to
    answer (no deadlock on full pipes).
    """
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    inbox: queue.SimpleQueue[tuple[bool, list[str]] | None] = queue.SimpleQueue()

    def read() -> None:
        try:
            while (message := pickle.load(stdin)) is not None:
                inbox.put(message)
            inbox.put(None)  # the job's end: answer what was sent, then stop
        except Exception:  # end of input without that end: the main process died
            os._exit(1)  # at once (a half-written temp file is removed at the next open)

    try:
        tmp_dir, publics, parent, hash_sets, specs = pickle.load(stdin)
    except EOFError:
        return
    _die_with(parent)
    recipients = [agefmt.Recipient(r) for r in publics]
    derivers = Derivers.imported(specs)
    threading.Thread(target=read, daemon=True).start()
    try:
        while (task := inbox.get()) is not None:
            packed, paths = task
            if packed:
                outcomes = pack_files(paths, tmp_dir, recipients, hash_sets, derivers)
            else:
                outcomes = [store_file(p, tmp_dir, recipients, hash_sets, derivers) for p in paths]
            pickle.dump(outcomes, stdout, PROTOCOL)
            stdout.flush()
    except BrokenPipeError:  # the main process died
        os._exit(1)


def _die_with(parent: int) -> None:
    """Linux: be killed by the kernel when the main process dies, not at the next end of input
    (which this process's reading thread may see only after a few milliseconds of encrypting):
    a vault reopened at once after a SIGKILL finds no worker writing into its ``tmp/``."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before that
        os._exit(1)


PROTOCOL = pickle.HIGHEST_PROTOCOL
_BOOT = "import sys; sys.path[:0] = {path!r}; from vault.storework import serve; serve()"


class WorkerDied(Exception):
    """A worker process ended before answering (killed, out of memory, a bug)."""


class Workers:
    """Worker processes for one ingest job; tasks are answered in the order they were sent.

    Separate interpreters started with ``python -c`` (not multiprocessing, whose "spawn" re-runs
    the main script of the embedding program): they get no copy of this process's memory, only
    the public recipients. Each runs in its own session, so a Ctrl-C at the terminal reaches only
    the main process, whose cancel token decides. Killing the main process leaves no worker
    behind: on Linux the kernel kills them with it (``_die_with``), and anywhere a worker exits
    at once when its input ends without the end message.
    """

    def __init__(
        self,
        count: int,
        tmp_dir: str,
        recipients: list[bytes],
        hash_sets: bool = True,
        derive: list[DeriveSpec] | None = None,
    ) -> None:
        boot = _BOOT.format(path=[p for p in sys.path if p])
        self._procs: list[subprocess.Popen[bytes]] = []
        self._order: deque[int] = deque()  # which worker answers each task in flight
        self._next = 0
        try:
            for _ in range(count):
                proc = subprocess.Popen(
                    [sys.executable, "-c", boot],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    start_new_session=True,
                )
                self._procs.append(proc)
                self._send(proc, (tmp_dir, recipients, os.getpid(), hash_sets, derive or []))
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _send(proc: subprocess.Popen[bytes], message: object) -> None:
        assert proc.stdin is not None
        try:
            pickle.dump(message, proc.stdin, PROTOCOL)
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerDied(proc.poll()) from None

    def submit(self, paths: list[str], packed: bool = False) -> None:
        index = self._next
        self._next = (index + 1) % len(self._procs)
        self._send(self._procs[index], (packed, paths))
        self._order.append(index)

    @property
    def in_flight(self) -> int:
        return len(self._order)

    def result(self) -> list[Outcome]:
        """The outcomes of the oldest task in flight (waits for them)."""
        proc = self._procs[self._order.popleft()]
        assert proc.stdout is not None
        try:
            answer: list[Outcome] = pickle.load(proc.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            raise WorkerDied(proc.wait()) from None
        return answer

    def close(self) -> list[Outcome]:
        """End the workers; returns the outcomes of tasks still in flight (not yet taken)."""
        left: list[Outcome] = []
        for proc in self._procs:
            with contextlib.suppress(WorkerDied):
                self._send(proc, None)
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
        while self._order:
            with contextlib.suppress(WorkerDied):
                left += self.result()
        for proc in self._procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        return left


class Sink:
    """Collects encrypted chunks and writes them with one ``writev`` per MiB (no extra copy)."""

    __slots__ = ("fd", "parts", "size", "written")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.parts: list[bytes] = []
        self.size = 0
        self.written = 0  # bytes written to the file so far

    def write(self, data: bytes) -> None:
        self.parts.append(data)
        self.size += len(data)
        if self.size >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.parts:
            return
        done = os.writev(self.fd, self.parts)
        if done < self.size:  # a short write (rare): the rest one call at a time
            rest = memoryview(b"".join(self.parts))[done:]
            while rest:
                rest = rest[os.write(self.fd, rest) :]
        self.written += self.size
        self.parts.clear()
        self.size = 0


class SourceFault(Exception):
    """Reading one source file failed; that file is skipped, the batch goes on."""


class VaultFault(Exception):
    """Writing to the vault failed (disk full, I/O error): the job stops after saving the rest."""


class _Writer(Protocol):
    def write(self, data: bytes) -> object: ...


def encrypt_into(
    src: int | Callable[[int], bytes],
    enc: _Writer,
    hasher: MultiHasher,
    step: Callable[[int], bool] | None = None,
    keep: list[bytes] | None = None,
) -> int | None:
    """Store one file: read ``src`` (a file descriptor, or a ``read(n)`` of a stream such as a
    tar member being decrypted) in 1 MiB chunks, hash each (``hasher``) and encrypt it (``enc``);
    returns the bytes read. ``step(chunk bytes)`` after each chunk may return False to stop (a
    cancel): then None. ``keep``: a list the chunks are appended to (for a ``Derive``: the
    file's bytes, read once). Errors are one line each: ``SourceFault`` (reading, ``OSError`` only),
    ``VaultFault`` (writing)."""
    take = src if callable(src) else functools.partial(os.read, src)
    read = 0
    while True:
        try:
            chunk = take(CHUNK)
        except OSError as exc:
            raise SourceFault(reason(exc)) from None
        if not chunk:
            return read
        hasher.update(chunk)
        if keep is not None:
            keep.append(chunk)
        try:
            enc.write(chunk)
        except OSError as exc:
            raise VaultFault(vault_reason(exc)) from None
        read += len(chunk)
        if step is not None and not step(len(chunk)):
            return None


def store_file(
    path: str,
    tmp_dir: str,
    recipients: list[agefmt.Recipient],
    hash_sets: bool = True,
    derivers: Derivers = NO_DERIVERS,
) -> Outcome:
    try:
        src = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        return ("source", reason(exc))
    tmp = os.path.join(tmp_dir, uuid.uuid4().hex)
    try:
        before = os.fstat(src)
        try:
            out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            return ("vault", vault_reason(exc))
        try:
            hasher = MultiHasher(0, hash_sets)  # inline: the worker processes are the parallelism
            sink = Sink(out)
            try:
                enc = agefmt.Encryptor(sink, recipients)  # type: ignore[arg-type]
                base = os.path.basename(path)
                keep: list[bytes] | None = [] if derivers.wanted(base, before.st_size) else None
                read = encrypt_into(src, enc, hasher, keep=keep) or 0
                enc.close()
                sink.flush()
            except SourceFault as exc:
                return ("source", str(exc))
            except VaultFault as exc:
                return ("vault", str(exc))
            except OSError as exc:
                return ("vault", vault_reason(exc))
            problem = unchanged(path, before, os.fstat(src), read)
            if problem:
                return ("source", problem)
            name, tmp = os.path.basename(tmp), ""  # kept: the main process moves it in
            d = hasher.digests()
            derived = derivers.run(base, b"".join(keep)) if keep is not None else {}
            return ("ok", name, read, d.sha256, d.sha1, d.md5, before.st_mtime, derived)
        finally:
            os.close(out)
            if tmp:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
    finally:
        os.close(src)


def pack_files(
    paths: list[str],
    tmp_dir: str,
    recipients: list[agefmt.Recipient],
    hash_sets: bool = True,
    derivers: Derivers = NO_DERIVERS,
) -> list[Outcome]:
    """Store small files into one new pack in ``tmp_dir`` (``vault.packs``): the outcome of each
    is ("packed", ...), or ("source", reason) for a file that could not be read. The pack is
    sealed before the answer (not fsynced: the main process's ``syncfs`` does that) and removed
    again if no file went in."""
    try:
        pack = packs.PackWriter(tmp_dir, recipients)
    except OSError as exc:
        return [("vault", vault_reason(exc))] * len(paths)
    outcomes: list[Outcome] = []
    try:
        for path in paths:
            outcomes.append(_pack_file(path, pack, hash_sets, derivers))
        if len(pack):
            pack.seal()
        else:
            pack.discard()
    except OSError as exc:
        pack.discard()
        return [("vault", vault_reason(exc))] * len(paths)
    return outcomes


def _pack_file(path: str, pack: packs.PackWriter, hash_sets: bool, derivers: Derivers) -> Outcome:
    try:
        src = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        return ("source", reason(exc))
    try:
        before = os.fstat(src)
        parts = []
        try:
            while chunk := os.read(src, max(before.st_size + 1, 8192)):
                parts.append(chunk)
        except OSError as exc:
            return ("source", reason(exc))
        data = b"".join(parts)
        problem = unchanged(path, before, os.fstat(src), len(data))
        if problem:
            return ("source", problem)
    finally:
        os.close(src)
    hasher = MultiHasher(0, hash_sets)
    hasher.update(data)
    d = hasher.digests()
    offset = pack.add(d.sha256, data, path)  # OSError: the caller says the vault failed
    base = os.path.basename(path)
    derived = derivers.run(base, data) if derivers.wanted(base, len(data)) else {}
    return (
        "packed",
        pack.name,
        len(data),
        d.sha256,
        d.sha1,
        d.md5,
        before.st_mtime,
        offset,
        derived,
    )


def unchanged(path: str, before: os.stat_result, after: os.stat_result, read: int) -> str:
    """ "" if the file is the one that was read, else why it is refused."""
    try:
        now_stat = os.stat(path)
    except OSError:
        return "the file vanished while it was being read"
    # ctime too: a writer can put the mtime back (utime), never the ctime; inode and device: a
    # file replaced by another one at the same path.
    same = (
        before.st_size == after.st_size == now_stat.st_size == read
        and before.st_mtime_ns == after.st_mtime_ns == now_stat.st_mtime_ns
        and before.st_ctime_ns == after.st_ctime_ns == now_stat.st_ctime_ns
        and (before.st_ino, before.st_dev) == (now_stat.st_ino, now_stat.st_dev)
    )
    return "" if same else CHANGED


def reason(exc: OSError) -> str:
    """One line for a source file that cannot be read."""
    if exc.errno == errno.ENOENT:
        return "the file does not exist (or vanished)"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ELOOP:
        return "symbolic link, not followed"
    return f"cannot read: {exc.strerror}"


def vault_reason(exc: OSError) -> str:
    """One line for a write to the vault that failed."""
    if exc.errno == errno.ENOSPC:
        return FULL
    return f"cannot write to the vault: {exc.strerror}"
