"""Ingest: each file read once, hashed and encrypted in the same pass, then made durable.

Order, per batch of files (see docs/ARCHITECTURE.md, "crash safety"):
1. each file streams into ``tmp/<random>`` as an age file while its hashes (SHA-256; SHA-1 and MD5
   too when the case shares hash sets) run on other threads
   (many small files: in worker processes that hold no secret, see ``_stored_by_workers``);
2. the size and mtime are compared before and after reading (a file that changed is refused);
3. the temp file is renamed to ``blobs/ab/<keyed name>`` (or dropped: same content already stored);
4. ``syncfs`` makes the data and the renames durable (large files are fsynced on their own);
5. one database transaction inserts the items, their "acquired" custody events and audit entries.
Only then is an item reported saved. A crash before 5 leaves orphan blobs, removed at next open.
On an agency server, 3 is a hand-over to the upload threads and 4 the wait for the batch's
uploads; the batch's rows are made (ids, sealed values, audit digests) before that wait
(``acquisition.prepare_batch``), so 5 holds the server's audit lock only to write them.

Running an ingest again resumes it (after Ctrl-C, say): a file whose source path and SHA-256 the
case already holds is reported "already in the case" and not recorded again, unless the job is
asked to add it ``again``. The case's (path, SHA-256) pairs are read once per job.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, overload

from sqlalchemy.exc import OperationalError

from vault import agefmt, packs, stageahead, storework
from vault.acquisition import (
    CustodyForm,
    Pending,
    Prepared,
    held_by_case,
    prepare_batch,
    record_batch,
    source_path,
)
from vault.cases import find_case
from vault.directio import DirectWriter
from vault.errors import UserError, VaultUnavailable
from vault.fsutil import start_writeback, syncfs
from vault.handover import Handover
from vault.hashing import MultiHasher
from vault.jobs import CancelToken, Emit, Finished, Progress
from vault.session import Session, requires
from vault.sources import Source, text, walk

BATCH_FILES = 1000  # per transaction (one syncfs, one commit, one audit entry for many)
BATCH_BYTES = 256 << 20
FULL = storework.FULL
LARGE = 64 << 20  # fsync on its own and commit at once
SMALL_FILE = 1 << 20  # below this a file is stored by the thread pool
STORE_THREADS = 4
STORE_WINDOW = 32  # small files in flight at most (memory stays constant)
WRITEBACK = 16 << 20  # start writing a large temp file to disk every this many bytes
# Many small files go to worker processes (``_stored_by_workers``): this many at least, since
# starting the workers costs about 0.2 s of CPU.
POOL_MIN_FILES = 256
WORKERS = 2
WORKER_GROUP = 16  # files per task sent to a worker (one round trip per group)
# Files under packs.PACK_MAX go into packs, one pack per task: this many files or bytes at most
PACK_GROUP = 1024
PACK_BYTES = 8 << 20
# In flight at most (besides the group being taken): enough for the workers to go on while a
# batch commits; the bytes bound keeps the temp files of files near SMALL_FILE in check.
WORKER_WINDOW = 48
WORKER_BYTES = 64 << 20
CHANGED = storework.CHANGED
WORKER_DIED = "an ingest worker process stopped unexpectedly; the files saved so far are kept"


class ItemIds(Sequence[int]):
    """Item ids in the order they were saved, held as runs of consecutive ids (a batch's ids
    are consecutive): an ingest of a million files keeps about a thousand runs, not a million
    ints (~36 MB). Reads as the list of ids (index, iterate, compare with a list)."""

    __slots__ = ("_len", "_runs")

    def __init__(self, ids: Iterable[int] = ()) -> None:
        self._runs: list[list[int]] = []  # [first, last + 1]
        self._len = 0
        for item_id in ids:
            self.append(item_id)

    def append(self, item_id: int) -> None:
        if self._runs and self._runs[-1][1] == item_id:
            self._runs[-1][1] += 1
        else:
            self._runs.append([item_id, item_id + 1])
        self._len += 1

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[int]:
        for first, end in self._runs:
            yield from range(first, end)

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> list[int]: ...

    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, slice):
            return list(self)[index]
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError("item id index out of range")
        for first, end in self._runs:
            if index < end - first:
                return first + index
            index -= end - first
        raise IndexError("item id index out of range")  # not reached

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ItemIds | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other: Iterable[int]) -> list[int]:
        return [*self, *other]

    def __radd__(self, other: Iterable[int]) -> list[int]:
        return [*other, *self]

    def __repr__(self) -> str:
        return f"ItemIds({list(self)!r})"


@dataclass
class IngestResult:
    saved: ItemIds = field(default_factory=ItemIds)
    failed: list[tuple[str, str]] = field(default_factory=list)
    cancelled: bool = False
    # (name, id of the item the case already holds): same source path and SHA-256, not stored
    skipped: list[tuple[str, int]] = field(default_factory=list)


_SourceError = storework.SourceFault
_VaultWriteError = storework.VaultFault


class IngestJob:
    """Ingest files and folders into a case. ``run`` emits progress and returns what happened."""

    def __init__(
        self,
        session: Session,
        case_reference: str,
        paths: list[Path],
        form: CustodyForm | None = None,
        cancel: CancelToken | None = None,
        again: bool = False,
        ahead: stageahead.StageAhead | None = None,
    ) -> None:
        self.session = session
        self.case_reference = case_reference
        self.paths = paths
        self.form = form or CustodyForm()
        self.cancel = cancel or CancelToken()
        self.again = again  # add files the case already holds (same path and SHA-256) again
        # Large files the command line began to store before the unlock (``vault.stageahead``)
        self.ahead = ahead
        self._stop_second = False  # stop the second read of a staged file (not used after all)
        self._held: dict[tuple[str, str], int] = {}  # (source path, sha256) -> item id
        self._done = 0
        self._total = 0
        self._dropped: list[str] = []  # temp files of the workers to remove at the end
        self._hash_sets = True  # the case's choice, read in ``run``
        self._packs_in: dict[str, int] = {}  # packs of this job moved into packs/: sizes
        # Objects of the workers go to the store on threads of their own (an agency server's
        # bucket; a local folder takes them at once): each commit waits for its batch's objects
        self._handover = Handover(session.blobs)
        # The batch committing on another thread while the next is gathered (``_commit``)
        self._committing: tuple[list[Pending], Future[list[int]]] | None = None
        # On a server, the next batch's rows made on a thread of their own while the batch
        # before is recorded (``_commit``); made in order, one at a time
        self._preparer: ThreadPoolExecutor | None = None
        self._commit_failed = False  # that batch could not be recorded: record no later one
        # What the layers compute from a file's bytes as it is read (the PDQ of a photo)
        derive = session.schema.derivers
        self._derivers = storework.Derivers.of(derive)
        self._derive_specs: list[storework.DeriveSpec] = [(n, *d.names) for n, d in derive]

    def run(self, emit: Emit) -> IngestResult:
        try:
            return self._run_job(emit)
        finally:
            self._handover.close()
            if self.ahead is not None:  # staged files not recorded are removed
                self.ahead.close()

    def _run_job(self, emit: Emit) -> IngestResult:
        self.session.require("item.ingest", target=f"case:{self.case_reference}")
        if self.ahead is not None and not _same_folder(self.ahead.folder, self.session.folder):
            self.ahead.close()
            self.ahead = None
        self.form = self.form.checked()
        with self.session.db() as db:
            case = find_case(db, self.case_reference)
            case_id, self._hash_sets = case.id, case.hash_sets
            if not self.again:
                self._held = held_by_case(db, case_id)
        # Two walks, no list of sources (a phone dump can be a million files): the first counts
        # and sizes them for progress, the second stores them.
        problems: list[tuple[str, str]] = []
        count = small = self._total = 0
        for _, size in walk(self.paths, problems):
            count += 1
            self._total += size
            small += size < SMALL_FILE
        result = IngestResult(failed=list(problems))
        for subject, message in problems:
            emit(Finished(subject, False, message))
        emit(Progress(0, self._total, "bytes", f"{count} files"))
        later: list[tuple[str, str]] = []  # what the second walk found that the first did not
        try:
            self._run(case_id, walk(self.paths, later, again=True), small, result, emit)
            for subject, message in (p for p in later if p not in problems):
                result.failed.append((subject, message))
                emit(Finished(subject, False, message))
        finally:
            # Temp files of files stored by the workers but not taken (a stop before the end) go
            # only now: on a full disk, after the attempt to save what was finished, as when
            # those files were never written.
            for path in self._dropped:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            self._dropped.clear()
        return result

    def _run(
        self,
        case_id: int,
        sources: Iterator[tuple[Source, int]],
        small: int,
        result: IngestResult,
        emit: Emit,
    ) -> None:
        batch: list[Pending] = []
        batch_bytes = 0
        # A full batch of small files commits on this thread while the next one is gathered:
        # SQLite's inserts and commit, and the syncfs before them, release the GIL.
        committer = ThreadPoolExecutor(1, thread_name_prefix="custos-commit")
        if not self.session.backend.local:
            self._preparer = ThreadPoolExecutor(1, thread_name_prefix="custos-prepare")
        try:
            with contextlib.closing(self._stored(sources, small, emit)) as stored:
                for source, outcome in stored:
                    if isinstance(outcome, _SourceError):
                        result.failed.append((text(source.path), str(outcome)))
                        emit(Finished(text(source.path), False, str(outcome)))
                        continue
                    if outcome is None or self.cancel.cancelled:
                        result.cancelled = True  # the file in flight (if any) is dropped
                        break
                    key = (source_path(source), outcome.sha256) if self._held else None
                    held = self._held.get(key) if key else None
                    if held is not None:  # its content is stored already: nothing to undo
                        result.skipped.append((source.name, held))
                        emit(Finished(source.name, True, f"already in the case (item {held})"))
                        continue
                    batch.append(outcome)
                    batch_bytes += outcome.size
                    if batch_bytes >= BATCH_BYTES or outcome.size >= LARGE:
                        self._commit(case_id, batch, result, emit)  # at once, as the docs say
                        batch, batch_bytes = [], 0
                    elif len(batch) >= BATCH_FILES:  # small files: commits while the next come
                        self._commit(case_id, batch, result, emit, committer)
                        batch, batch_bytes = [], 0
            if self.cancel.cancelled:
                result.cancelled = True
            self._settle(result, emit)
        except _VaultWriteError as exc:
            with contextlib.suppress(_VaultWriteError):  # save what is finished, if there is room
                self._settle(result, emit)
                if not self._commit_failed:  # (not after a commit that failed: no hole)
                    self._commit(case_id, batch, result, emit)
            raise UserError(str(exc)) from None
        finally:
            # Stopped by anything else (Ctrl-C): the batch in flight is recorded or not, as
            # if it had been committed here; what it saved is reported.
            with contextlib.suppress(_VaultWriteError):
                self._settle(result, emit)
            committer.shutdown()
            if self._preparer is not None:  # a batch made but not recorded is dropped
                self._preparer.shutdown(cancel_futures=True)
                self._preparer = None
        try:
            self._commit(case_id, batch, result, emit)
        except _VaultWriteError as exc:
            raise UserError(str(exc)) from None

    def _stored(
        self, sources: Iterator[tuple[Source, int]], small: int, emit: Emit
    ) -> Generator[tuple[Source, Pending | _SourceError | None], None, None]:
        """Store every source, yielding (source, pending / read error / None if cancelled) in
        order; stops early when the job is cancelled.

        Small files are stored by a few threads, a window ahead: their cost is mostly
        file-system calls (create, write, rename) that release the GIL, so the threads overlap
        them with each other's encryption. Large files are stored here, one at a time (their
        hashing already runs on threads of its own). Progress events stay on this thread.
        """

        if small >= POOL_MIN_FILES and sys.executable and not getattr(sys, "frozen", False):
            yield from self._stored_by_workers(sources, emit)
            return

        def attempt(source: Source, report: Emit | None) -> Pending | _SourceError | None:
            try:
                return self._store(source, report)
            except _SourceError as exc:
                return exc

        window: deque[tuple[Source, Future[Pending | _SourceError | None]]] = deque()

        def oldest() -> tuple[Source, Pending | _SourceError | None]:
            source, future = window.popleft()
            outcome = future.result()  # re-raises _VaultWriteError
            if isinstance(outcome, Pending):
                self._done += outcome.size
                emit(Progress(self._done, self._total, "bytes", source.name))
            return source, outcome

        with ThreadPoolExecutor(STORE_THREADS, thread_name_prefix="custos-ingest") as pool:
            try:
                for source, size in sources:
                    if self.cancel.cancelled:
                        return
                    if size < SMALL_FILE:
                        window.append((source, pool.submit(attempt, source, None)))
                        if len(window) >= STORE_WINDOW:
                            yield oldest()
                    else:
                        while window:
                            yield oldest()
                        yield source, attempt(source, emit)
                while window:
                    yield oldest()
            finally:
                # Stopped early (cancel, vault write error): files not started are not
                # stored; the pool's exit waits for those being written. Blobs of files
                # stored but not committed are orphans, removed when the vault next opens.
                for _, future in window:
                    future.cancel()

    def _stored_by_workers(
        self, sources: Iterator[tuple[Source, int]], emit: Emit
    ) -> Generator[tuple[Source, Pending | _SourceError | None], None, None]:
        """``_stored`` for many small files: worker processes store them (``vault.storework``).

        Each file costs two X25519 wraps and a file creation, and cryptography holds the GIL
        for the wraps, so threads cannot spread that work over the cores; processes can. The
        workers get the public recipients only (each file key is made and dropped in a worker);
        this process names each blob with the keyed HMAC and renames it in, in source order (so
        item ids are stable), and ``_commit`` makes a batch durable and records it. Files go out
        in groups, a bounded number ahead (memory stays constant); large files are stored here
        as in ``_stored``.
        """
        blobs = self.session.blobs
        tmp_dir = str(blobs.tmp)
        window: deque[tuple[list[Source], int]] = deque()  # groups sent (and bytes), oldest first
        in_flight = 0  # bytes
        ready: deque[tuple[Source, storework.Outcome]] = deque()  # results not yet taken
        group: list[Source] = []
        group_bytes = 0
        packing = False  # the group goes into one pack (files under packs.PACK_MAX)
        try:
            publics = [r.public for r in blobs.recipients]
            workers = storework.Workers(
                WORKERS, tmp_dir, publics, self._hash_sets, self._derive_specs
            )
        except (OSError, storework.WorkerDied) as exc:
            raise _VaultWriteError(f"{WORKER_DIED} ({exc})") from None

        def send() -> None:
            nonlocal in_flight, group_bytes
            if group:
                try:
                    workers.submit([s.where for s in group], packing)
                except storework.WorkerDied:
                    raise _VaultWriteError(WORKER_DIED) from None
                window.append((group.copy(), group_bytes))
                in_flight += group_bytes
                group.clear()
                group_bytes = 0

        def take() -> Generator[tuple[Source, Pending | _SourceError | None], None, None]:
            """Yield the results of the oldest group in flight."""
            nonlocal in_flight
            group_sources, size = window.popleft()
            in_flight -= size
            try:
                outcomes = workers.result()
            except storework.WorkerDied:
                raise _VaultWriteError(WORKER_DIED) from None
            ready.extend(zip(group_sources, outcomes, strict=True))
            while ready:
                source, outcome = ready.popleft()
                yield source, self._moved_in(source, outcome, tmp_dir, emit)

        try:
            for source, size in sources:
                if self.cancel.cancelled:
                    return
                if size < SMALL_FILE:
                    if group and packing != (size < packs.PACK_MAX):
                        send()
                    packing = size < packs.PACK_MAX
                    group.append(source)
                    group_bytes += size
                    if (
                        len(group) >= PACK_GROUP or group_bytes >= PACK_BYTES
                        if packing
                        else len(group) >= WORKER_GROUP
                    ):
                        send()
                        while len(window) > WORKER_WINDOW or in_flight > WORKER_BYTES:
                            yield from take()
                else:
                    send()
                    while window:
                        yield from take()
                    try:
                        yield source, self._store(source, emit)
                    except _SourceError as exc:
                        yield source, exc
            send()
            while window:
                yield from take()
        finally:
            # Stopped early (cancel, vault write error, a worker died): the groups in flight
            # are finished by the workers and their temp files removed at the end of ``run``
            # (else at the next open). Blobs moved in but not committed are orphans, removed at
            # the next open.
            left = [o for _, o in ready] + workers.close()
            self._dropped += [os.path.join(tmp_dir, o[1]) for o in left if o[0] == "ok"]
            self._dropped += [
                os.path.join(tmp_dir, pack)
                for pack in {o[1] for o in left if o[0] == "packed"} - self._packs_in.keys()
            ]

    def _moved_in(
        self, source: Source, outcome: storework.Outcome, tmp_dir: str, emit: Emit
    ) -> Pending | _SourceError:
        """Turn a worker's outcome into a pending item: its temp file renamed into blobs/."""
        kind = outcome[0]
        if kind == "source":
            return _SourceError(outcome[1])
        if kind == "packed":
            return self._packed(source, outcome, tmp_dir, emit)
        if kind != "ok":
            raise _VaultWriteError(outcome[1])
        _, tmp_name, size, sha256, sha1, md5, mtime, derived = outcome
        name = self.session.blobs.name_for(sha256)
        # moved in, or dropped when that content is stored already (upload: see _commit)
        _write(self._handover.blob, os.path.join(tmp_dir, tmp_name), name)
        self._done += size
        emit(Progress(self._done, self._total, "bytes", source.name))
        return Pending(source, size, sha256, sha1, md5, name, _iso(mtime), derived)

    def _packed(
        self, source: Source, outcome: storework.Outcome, tmp_dir: str, emit: Emit
    ) -> Pending:
        """A worker put the file into a pack: the pack moves into packs/ with its first file."""
        _, pack, size, sha256, sha1, md5, mtime, offset, derived = outcome
        blobs = self.session.blobs
        if pack not in self._packs_in:
            path = os.path.join(tmp_dir, pack)
            # sealed by the worker: its size is final, recorded in each of its objects' rows
            self._packs_in[pack] = _write(os.path.getsize, path)  # type: ignore[assignment]
            _write(self._handover.pack, path, pack)
        self._done += size
        emit(Progress(self._done, self._total, "bytes", source.name))
        name = blobs.name_for(sha256)
        return Pending(
            source,
            size,
            sha256,
            sha1,
            md5,
            name,
            _iso(mtime),
            derived,
            pack=pack,
            offset=offset,
            pack_size=self._packs_in[pack],
        )

    def _store(self, source: Source, emit: Emit | None) -> Pending | None:
        """Encrypt one file into the blob store; None if cancelled while reading it.

        Runs on a pool thread for small files: then ``emit`` is None and the caller reports.
        """
        if self.ahead is not None and emit is not None:
            staged = self._staged(source, emit)
            if staged is not None or self.cancel.cancelled:
                return staged
        blobs = self.session.blobs
        try:
            fd = os.open(source.path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError as exc:
            raise _SourceError(storework.reason(exc)) from None
        with os.fdopen(fd, "rb", buffering=0) as src:
            before = os.fstat(fd)
            hasher = MultiHasher(before.st_size, self._hash_sets)
            wanted = self._derivers.wanted(source.name, before.st_size)
            keep: list[bytes] | None = [] if wanted else None
            try:
                with blobs.temp_file(before.st_size + 4096) as (tmp, out):
                    # A large file goes straight to the disk (no page cache to fill and flush:
                    # ``vault.directio``); the others through the buffered temp file.
                    # On a server the temp file is only read back by the upload: kept in the page
                    # cache, not fsynced (the object is durable once uploaded).
                    local = self.session.backend.local
                    large = before.st_size >= LARGE
                    sink = DirectWriter(out.fileno()) if large and local else None
                    try:
                        enc = agefmt.Encryptor(sink or out, blobs.recipients)  # type: ignore[arg-type]
                        read = self._encrypt(
                            source, src.fileno(), enc, hasher, keep, out, sink, emit
                        )
                        if read is None:
                            return None
                        _write(enc.close)
                        if sink is not None:
                            _write(sink.close)
                    finally:
                        if sink is not None:
                            sink.abandon()
                    digests = hasher.digests()
                    _check_unchanged(source.path, before, os.fstat(fd), read)
                    _write(out.flush)
                    if large and local:
                        _write(os.fsync, out.fileno())
                    name = blobs.name_for(digests.sha256)
                    _write(blobs.move_in, tmp, name)
            finally:
                hasher.close()
        mtime = _iso(before.st_mtime)
        derived = self._derivers.run(source.name, b"".join(keep)) if keep is not None else {}
        return Pending(
            source, read, digests.sha256, digests.sha1, digests.md5, name, mtime, derived
        )

    def _encrypt(
        self,
        source: Source,
        src: int,
        enc: agefmt.Encryptor,
        hasher: MultiHasher,
        keep: list[bytes] | None,
        out: BinaryIO,
        sink: DirectWriter | None,
        emit: Emit | None,
    ) -> int | None:
        """``storework.encrypt_into`` with progress, the cancel token and, for a file written
        through the page cache, its write-out started every ``WRITEBACK`` bytes."""
        synced = 0  # bytes of the temp file whose writeback has been started

        def step(n: int) -> bool:
            nonlocal synced
            if self.cancel.cancelled:
                return False
            if sink is None or not sink.direct:
                # Overlap the disk with the encryption: without this a large file sits dirty
                # in the page cache and the fsync below writes all of it while we wait.
                written = sink.written if sink is not None else out.raw.tell()  # type: ignore[attr-defined]
                if written >= synced + WRITEBACK:
                    start_writeback(out.fileno(), synced, written - synced)
                    synced = written
            if emit is not None:
                self._done += n
                emit(Progress(self._done, self._total, "bytes", source.name))
            return True

        return storework.encrypt_into(src, enc, hasher, step, keep)

    def _staged(self, source: Source, emit: Emit) -> Pending | None:
        """Record a file the command line staged before the unlock (``vault.stageahead``): its
        header written now, for this vault's recipients; None: store it as usual.

        The hash-set digests (MD5, SHA-1), which only the case decides, are computed here from
        a second read (from the page cache) while the child finishes; the file must be, then
        and when recorded, the one the child read (device, inode, size, mtime, ctime)."""
        assert self.ahead is not None
        blobs = self.session.blobs
        self._stop_second = False

        def progress(n: int) -> None:
            self._done += n
            emit(Progress(self._done, self._total, "bytes", source.name))

        with ThreadPoolExecutor(1, thread_name_prefix="custos-hashsets") as pool:
            second = pool.submit(self._hash_set_digests, source.path) if self._hash_sets else None
            staged = self.ahead.take(source.path, self.cancel, progress)
            if staged is None or self.cancel.cancelled:
                self._stop_second = True
                if staged is not None:
                    self._drop(staged, 0)
                return None
            header = agefmt.header_for(staged.file_key, blobs.recipients)
            if len(header) != staged.header_size or self._derivers.wanted(source.name, staged.size):
                self._stop_second = True
                self._drop(staged, staged.size)  # other recipients: stored as usual
                return None
            try:
                read = second.result() if second is not None else None
            except BaseException:
                self._drop(staged, 0)
                raise
        if self.cancel.cancelled or (second is not None and read is None):
            self._drop(staged, 0)
            return None
        sha1 = md5 = None
        if read is not None:  # the second read was of the same file, unchanged
            sha1, md5, *idents = read
            if any(i != staged.ident for i in idents):
                self._drop(staged, 0)
                raise _SourceError(CHANGED)
        try:
            _check_same(source.path, staged.ident)
            fd = int(_write(os.open, staged.tmp, os.O_WRONLY | os.O_CLOEXEC))  # type: ignore[call-overload]
            try:
                _write(os.pwrite, fd, header, 0)
                _write(os.fsync, fd)
            finally:
                os.close(fd)
            name = blobs.name_for(staged.sha256)
            _write(blobs.move_in, staged.tmp, name)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(staged.tmp)  # not moved in (same content stored already, or refused)
        mtime = _iso(staged.ident[3] / 1e9)
        return Pending(source, staged.size, staged.sha256, sha1, md5, name, mtime, {})

    def _drop(self, staged: stageahead.Staged, counted: int) -> None:
        """A staged file not used: removed (``counted`` bytes of progress taken back)."""
        with contextlib.suppress(OSError):
            os.unlink(staged.tmp)
        self._done -= counted

    def _hash_set_digests(
        self, path: Path
    ) -> tuple[str | None, str | None, stageahead.Ident, stageahead.Ident] | None:
        """(SHA-1, MD5, the file's ident before and after) of a staged file, read again
        (``_staged`` checks both idents are those of the child's read); None if stopped."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            raise _SourceError(storework.reason(exc)) from None
        try:
            before = os.fstat(fd)
            size = before.st_size
            with contextlib.suppress(OSError):
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
            hasher = MultiHasher(size, sha256=False)
            try:
                while chunk := os.read(fd, storework.CHUNK):
                    if self._stop_second or self.cancel.cancelled:
                        return None
                    hasher.update(chunk)
                digests = hasher.digests()
            except OSError as exc:
                raise _SourceError(storework.reason(exc)) from None
            finally:
                hasher.close()
            after = os.fstat(fd)
        finally:
            os.close(fd)
        return digests.sha1, digests.md5, stageahead.ident(before), stageahead.ident(after)

    def _commit(
        self,
        case_id: int,
        batch: list[Pending],
        result: IngestResult,
        emit: Emit,
        later: ThreadPoolExecutor | None = None,
    ) -> None:
        """Make ``batch`` durable and record it; its files are reported saved only then.

        ``later``: on that (one-thread) executor, while the caller gathers the next batch; the
        batch committing before is waited for (and reported) first, so batches commit one at a
        time, in order. Without it: at once (and after the one in flight).

        On a server the batch's rows (``acquisition.prepare_batch``: ids, sealed values, audit
        digests) are made on the preparing thread from here on, while the batch before is
        still being recorded: the commit thread, the critical path of a small-file ingest,
        then only waits for the batch's uploads and writes it. Nothing is written by the
        preparation (the ids come from the sequences), so a batch made but never recorded
        leaves only a gap in them, as a rolled-back transaction does."""
        ready = None
        if batch and later is not None and self._preparer is not None:
            ready = self._preparer.submit(self._prepare, case_id, batch)
        self._settle(result, emit)
        if not batch:
            return
        if later is not None:
            self._committing = (batch, later.submit(self._record, case_id, batch, ready))
            return
        ids = self._record(case_id, batch)
        self._saved(batch, ids, result, emit)

    def _settle(self, result: IngestResult, emit: Emit) -> None:
        """Wait for the batch committing on the executor (if any) and report its files."""
        if self._committing is None:
            return
        batch, future = self._committing
        self._committing = None
        try:
            ids = future.result()
        except _VaultWriteError:
            self._commit_failed = True
            raise
        self._saved(batch, ids, result, emit)

    def _prepare(self, case_id: int, batch: list[Pending]) -> Prepared | None:
        """On a server: the batch's rows made outside the transaction that records them (their
        ids taken from the sequences, their values sealed, the audit entries digested), so
        that transaction, which holds the server's audit lock, only writes. None if the server
        could not be reached: the transaction then makes the rows itself and says what
        happened as it always has (its hold on the vault checked before any new connection:
        "the connection was lost")."""
        try:
            # not waiting for the batch before, whose transaction may be in progress
            with self.session.db_alongside() as db:
                return prepare_batch(self.session, db, self.form, case_id, batch)
        except VaultUnavailable:
            return None

    def _record(
        self, case_id: int, batch: list[Pending], prepared: Future[Prepared | None] | None = None
    ) -> list[int]:
        session = self.session
        ready = None
        if session.backend.local:
            # the renames into the vault folder made durable before the commit that names them
            _write(syncfs, session.folder)
        else:
            # The batch's rows made first (on the preparing thread, ``_commit``, or here), while
            # its uploads finish. Then an object store's objects are durable once their upload
            # completed: the batch's are waited for (a failed upload, of these or earlier ones,
            # records nothing).
            ready = prepared.result() if prepared is not None else self._prepare(case_id, batch)
            _write(self._handover.wait, {p.pack or p.blob for p in batch})
        try:
            with session.transaction() as db:
                return record_batch(session, db, self.form, case_id, batch, ready)
        except OperationalError as exc:  # SQLite: "database or disk is full", "disk I/O error"
            if "full" in str(exc.orig):
                raise _VaultWriteError(FULL) from None
            raise _VaultWriteError(f"cannot write to the vault database: {exc.orig}") from None

    @staticmethod
    def _saved(batch: list[Pending], ids: list[int], result: IngestResult, emit: Emit) -> None:
        for pending, item_id in zip(batch, ids, strict=True):
            result.saved.append(item_id)
            emit(Finished(pending.source.name, True, f"item {item_id}"))


@requires("item.ingest")
def ingest(
    session: Session,
    case_reference: str,
    paths: list[Path],
    form: CustodyForm | None = None,
    emit: Emit | None = None,
    cancel: CancelToken | None = None,
    again: bool = False,
) -> IngestResult:
    """Convenience wrapper: run an ``IngestJob`` to its end."""
    from vault.jobs import ignore

    return IngestJob(session, case_reference, paths, form, cancel, again).run(emit or ignore)


def _write(fn: object, *args: object) -> object:
    try:
        return fn(*args)  # type: ignore[operator]
    except OSError as exc:
        raise _VaultWriteError(storework.vault_reason(exc)) from None


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_same(path: Path, read: stageahead.Ident) -> None:
    """The file at ``path`` is still the one read as ``read`` (else ``_SourceError``)."""
    try:
        now = os.lstat(path)
    except OSError:
        raise _SourceError("the file vanished while it was being read") from None
    if stageahead.ident(now) != read:
        raise _SourceError(CHANGED)


def _check_unchanged(path: Path, before: os.stat_result, after: os.stat_result, read: int) -> None:
    problem = storework.unchanged(str(path), before, after, read)
    if problem:
        raise _SourceError(problem)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")
