"""Building the server's index (HNSW or IVFFlat) as a job: progress from PostgreSQL, a cancel
token in.

A million references take minutes (PERFORMANCE.md, "1:N on the server"), so the build is long
work like any other (:mod:`vault.jobs`): the ``CREATE INDEX`` runs on the store's first
connection in a helper thread while the caller's thread reads ``pg_stat_progress_create_index``
for that backend on the second connection, emits it as :class:`~vault.jobs.Progress` (heap
blocks read), and checks the token. Cancelling asks PostgreSQL to cancel the statement; an index
that was finished meanwhile is dropped, so a cancelled build leaves no index either way (the
vectors stay).
"""

from __future__ import annotations

import threading
from typing import Any

from psycopg import sql

from matching.pgvectors import DEFAULT_EF_CONSTRUCTION, DEFAULT_LISTS, DEFAULT_M, VectorStore
from vault.errors import Cancelled
from vault.jobs import CancelToken, Emit, Progress

_POLL_SECONDS = 0.5


class BuildIndexJob:
    """Build ``store``'s index (HNSW: ``m``, ``ef_construction``; IVFFlat: ``lists``; see
    :meth:`VectorStore.build_index`); ``run`` returns the store's sizes afterwards."""

    def __init__(
        self,
        store: VectorStore,
        m: int = DEFAULT_M,
        ef_construction: int = DEFAULT_EF_CONSTRUCTION,
        *,
        lists: int = DEFAULT_LISTS,
        maintenance_work_mem: str = "1GB",
        workers: int = 2,
        cancel: CancelToken | None = None,
    ) -> None:
        self.store = store
        self.params: dict[str, Any] = {
            "m": m,
            "ef_construction": ef_construction,
            "lists": lists,
            "maintenance_work_mem": maintenance_work_mem,
            "workers": workers,
        }
        self.cancel = cancel or CancelToken()

    def run(self, emit: Emit) -> dict[str, int]:
        self.cancel.check()
        builder = self.store.connections[0]
        watcher = self.store.connections[1] if len(self.store.connections) > 1 else None
        outcome: dict[str, BaseException | None] = {"error": None}

        def build() -> None:
            try:
                self.store.build_index(**self.params)
            except BaseException as err:  # handed to the job's thread
                outcome["error"] = err

        emit(Progress(0, 1, "blocks", "building the search index"))
        thread = threading.Thread(target=build, name="hnsw-build", daemon=True)
        thread.start()
        cancelled = False
        while thread.is_alive():
            thread.join(_POLL_SECONDS)
            if self.cancel.cancelled and not cancelled:
                cancelled = True
                builder.cancel_safe()
            elif watcher is not None and thread.is_alive():
                row = watcher.execute(
                    "SELECT phase, blocks_done, blocks_total FROM pg_stat_progress_create_index "
                    "WHERE pid = %s",
                    (builder.info.backend_pid,),
                ).fetchone()
                if row is not None and row[2]:
                    emit(Progress(int(row[1]), int(row[2]), "blocks", str(row[0])))
        if cancelled or self.cancel.cancelled:
            self._drop_index()
            raise Cancelled("cancelled by the user")
        if outcome["error"] is not None:
            raise outcome["error"]
        sizes = self.store.sizes()
        emit(Progress(1, 1, "blocks", f"index of {sizes['rows']:,} references built"))
        return sizes

    def _drop_index(self) -> None:
        conn = self.store.connections[0]
        conn.execute(
            sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(self.store.index_name))
        )
