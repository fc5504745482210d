"""1:N on the agency server (pgvector HNSW shortlist, exact re-rank on the workstation), against a
real PostgreSQL 18 + pgvector (``tests/pgkit.py``): the results are the exact search's, the
server's table holds only opaque ids and vectors, hostile input is refused in one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psycopg
import pytest
from pgkit import Postgres, postgres

from matching.evaluate import read_folder
from matching.parallel import ImageResult
from matching.pgindexjob import BuildIndexJob
from matching.pgvectors import IdMap, VectorInputError, VectorStore
from matching.search import DEFAULT_ALERT_THRESHOLD, Gallery
from vault.errors import Cancelled
from vault.jobs import CancelToken, Progress


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    with postgres(tmp_path_factory.mktemp("pgvectors") / "data") as server:
        yield server


@pytest.fixture
def store(pg: Postgres, request: pytest.FixtureRequest) -> Iterator[VectorStore]:
    table = "vectors_" + request.node.name.replace("[", "_").replace("]", "")[-40:]
    with VectorStore.connect(pg.conninfo, table=table) as s:
        s.create()
        yield s


def _people(n_ids: int, per: int, seed: int) -> np.ndarray:
    """Identity centres with a spread like real dlib embeddings (not uniform noise)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_ids, 128)).astype(np.float32) * np.float32(0.06)
    refs = np.repeat(centres, per, axis=0)
    return refs + rng.normal(size=refs.shape).astype(np.float32) * np.float32(0.02)


def _index_of(conninfo: str, table: str, method: str) -> tuple[str, str, str] | None:
    """``table``'s index of access method ``method``: its name, definition and operator class."""
    with psycopg.connect(conninfo) as conn:
        return conn.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid), o.opcname FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
            "JOIN pg_opclass o ON o.oid = i.indclass[0] "
            "WHERE i.indrelid = to_regclass(%s) AND a.amname = %s",
            (f'"{table}"', method),
        ).fetchone()


def _recall(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean([len(set(x) & set(y)) / len(x) for x, y in zip(a, b, strict=True)]))


def test_shortlist_and_rerank_give_the_exact_search_results(store: VectorStore) -> None:
    refs = _people(1500, 4, seed=11)  # 6,000 references
    ids = store.insert(refs)
    store.build_index()
    rng = np.random.default_rng(12)
    probes = refs[rng.choice(len(refs), 60, replace=False)]
    probes = probes + rng.normal(size=probes.shape).astype(np.float32) * np.float32(0.02)
    gallery = Gallery(refs, np.arange(len(refs)) // 4)
    exact_d, exact_rows = gallery.nearest(probes, 20)
    exact_ids = ids[exact_rows]

    # a shortlist as wide as the search: HNSW visits enough to hold every true neighbour, and
    # the re-rank gives the exact search's ids in its order, with its distances
    wide = store.search(probes, 20, width=200, ef_search=400)
    assert wide.found.all()
    assert (wide.ids == exact_ids).all()
    np.testing.assert_allclose(wide.distances, exact_d, atol=1e-5)

    # the default ef_search: recall measured; wherever the shortlist holds the true top-20,
    # the results are the exact ones
    found = store.search(probes, 20)
    got = found.ids.view("S16")
    assert _recall(got, exact_ids.view("S16")) >= 0.99
    complete = [p for p in range(len(probes)) if set(got[p]) == set(exact_ids.view("S16")[p])]
    assert len(complete) >= 50
    for p in complete:
        assert (found.ids[p] == exact_ids[p]).all()
        np.testing.assert_allclose(found.distances[p], exact_d[p], atol=1e-5)
    assert np.all(np.diff(found.distances, axis=1) >= 0)

    # the workstation's mapping turns opaque ids back into references
    idmap = IdMap()
    idmap.add(ids, range(len(refs)), [str(r // 4) for r in range(len(refs))])
    assert (idmap.references(wide) == exact_rows).all()
    assert idmap.subject(bytes(wide.ids[0, 0])) == str(exact_rows[0, 0] // 4)


def test_a_half_precision_index_shortlists_and_the_rerank_stays_exact(
    pg: Postgres, store: VectorStore
) -> None:
    refs = _people(1000, 4, seed=21)
    rng = np.random.default_rng(22)
    probes = refs[rng.choice(len(refs), 40, replace=False)]
    probes = probes + rng.normal(size=probes.shape).astype(np.float32) * np.float32(0.02)
    with VectorStore.connect(pg.conninfo, table=store.table, halfvec=True) as half:
        ids = half.insert(refs)
        half.build_index()
        index = _index_of(pg.conninfo, half.table, "hnsw")
        with psycopg.connect(pg.conninfo) as conn:
            kind = conn.execute(
                "SELECT udt_name FROM information_schema.columns "
                "WHERE table_name = %s AND column_name = 'embedding'",
                (half.table,),
            ).fetchone()
        assert index is not None and index[2] == "halfvec_l2_ops"
        assert kind == ("vector",)  # the table keeps float32: the re-rank is exact
        exact_d, exact_rows = Gallery(refs, np.arange(len(refs))).nearest(probes, 20)
        wide = half.search(probes, 20, width=60, ef_search=400)
        assert (wide.ids == ids[exact_rows]).all()
        np.testing.assert_allclose(wide.distances, exact_d, atol=1e-5)
        # the float32 vectors come back as stored
        assert (half.search(refs[:5], 1).ids[:, 0] == ids[:5]).all()
        assert (half.search(refs[:5], 1).distances[:, 0] < 1e-3).all()


def test_real_faces_match_their_own_subject_and_the_threshold_holds(
    store: VectorStore, faces_dir: Path, detected: dict[str, ImageResult]
) -> None:
    folder = read_folder(faces_dir)
    enrol = [r for r in folder.identities if r[2] == "enrol"]
    probes = [r for r in folder.identities if r[2] == "probe"]
    real = np.stack([detected[image].faces[0].embedding for image, _, _ in enrol])
    subjects = [identity for _, identity, _ in enrol]
    # the real references among 4,000 synthetic ones shaped around the real faces
    rng = np.random.default_rng(13)
    centre = real.mean(axis=0)
    filler = centre + (real[rng.integers(0, len(real), 4000)] - centre) * np.float32(1.3)
    filler += rng.normal(size=filler.shape).astype(np.float32) * np.float32(0.08)
    refs = np.vstack([real, filler]).astype(np.float32)
    names = subjects + [f"filler-{i}" for i in range(len(filler))]
    ids = store.insert(refs)
    store.build_index()
    idmap = IdMap()
    idmap.add(ids, range(len(refs)), names)

    queries = np.stack([detected[image].faces[0].embedding for image, _, _ in probes])
    gallery = Gallery(refs, names)
    found = store.search(queries, 10)
    rows = idmap.references(found)
    _, exact_rows = gallery.nearest(queries, 10)
    assert (rows == exact_rows).all()
    assert [idmap.subject(bytes(found.ids[p, 0])) for p in range(len(probes))] == [
        identity for _, identity, _ in probes
    ]
    # alert threshold applied on this side: the same references as the exact alert search
    alerts = store.search(queries, 10, threshold=DEFAULT_ALERT_THRESHOLD)
    exact_alerts = gallery.alert(queries, DEFAULT_ALERT_THRESHOLD)
    for p in range(len(probes)):
        hits = [r for r in idmap.references(alerts)[p] if r >= 0]
        assert {names[r] for r in hits} == {c.subject for c in exact_alerts[p]}
        assert all(d <= DEFAULT_ALERT_THRESHOLD for _, d in alerts.probe(p))


def test_the_server_table_holds_only_an_opaque_id_and_the_vector(
    store: VectorStore, pg: Postgres
) -> None:
    refs = _people(50, 4, seed=14)
    ids = store.insert(refs)
    store.build_index()
    with psycopg.connect(pg.conninfo) as conn:
        columns = conn.execute(
            "SELECT column_name, udt_name FROM information_schema.columns "
            "WHERE table_name = %s ORDER BY ordinal_position",
            (store.table,),
        ).fetchall()
        assert columns == [("id", "bytea"), ("embedding", "vector")]
        index = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
            (store.table, "%hnsw%"),
        ).fetchone()
        assert index is not None and "vector_l2_ops" in index[0]  # Euclidean, as Custos
        stored = conn.execute(f'SELECT id FROM "{store.table}"').fetchall()
    # random 16-byte ids: not row numbers, not subjects, none repeated
    assert sorted(r[0] for r in stored) == sorted(bytes(i) for i in ids)
    assert len({bytes(i) for i in ids}) == len(ids) and all(len(bytes(i)) == 16 for i in ids)
    assert store.sizes()["rows"] == 200 and store.sizes()["index_bytes"] > 0


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (np.full((3, 128), np.nan, np.float32), "row 0 holds NaN or infinite values"),
        (np.vstack([np.zeros((2, 128)), np.full((1, 128), np.inf)]), "row 2 holds NaN"),
        (np.zeros((2, 127), np.float32), "expected 128-d embeddings, got shape 2x127"),
        (np.zeros((0, 128), np.float32), "the batch is empty"),
        ([], "the batch is empty"),
        ([[0.1] * 128, [0.2] * 5], "not a matrix of numbers"),
        ([["x"] * 128], "not a matrix of numbers"),
    ],
)
def test_hostile_vectors_are_refused_in_one_line(
    store: VectorStore, bad: object, says: str
) -> None:
    store.insert(_people(10, 2, seed=15))
    calls = ((store.insert, "embeddings to store"), (lambda v: store.search(v, 5), "probes"))
    for call, what in calls:
        with pytest.raises(VectorInputError) as err:
            call(bad)
        assert str(err.value).startswith(f"{what}: ") and says in str(err.value)
        assert "\n" not in str(err.value)
    assert store.sizes()["rows"] == 20  # nothing of a refused batch was stored
    with pytest.raises(VectorInputError, match="every id must be 16 bytes"):
        store.delete([b"short"])
    with pytest.raises(VectorInputError, match="ids to delete: the batch is empty"):
        store.delete([])


def test_deleted_references_are_no_longer_found(store: VectorStore) -> None:
    refs = _people(500, 4, seed=16)
    ids = store.insert(refs)
    store.build_index()
    before = store.search(refs[:8], 1)
    assert (before.ids[:, 0] == ids[:8]).all()
    assert store.delete(ids[:4]) == 4
    assert store.delete(ids[:4]) == 0  # already gone
    after = store.search(refs[:8], 4, ef_search=400)
    gone = {bytes(i) for i in ids[:4]}
    assert not any(bytes(i) in gone for i in after.ids[after.found])
    # what remains is searched exactly as a gallery without them
    _, rows = Gallery(refs[4:], np.arange(4, len(refs)) // 4).nearest(refs[:8], 4)
    assert (after.ids == ids[4:][rows]).all()
    assert (after.ids[4:, 0] == ids[4:8]).all()
    assert store.sizes()["rows"] == len(refs) - 4
    # a store emptied of every reference finds nothing, and says so without an error
    first = store.search(refs[:2], 3)
    assert first.found.all()
    assert store.delete(ids[4:]) == len(refs) - 4
    nothing = store.search(refs[:2], 3)
    assert not nothing.found.any() and nothing.probe(0) == []
    ids = np.concatenate([ids[:4], store.insert(refs[4:])])  # back, under new ids
    # what a workstation that searches locally gets back: the remaining rows, bit for bit
    got_ids, got = store.export()
    order = np.argsort(got_ids.view("S16"))
    want = np.argsort(ids[4:].view("S16"))
    assert (got_ids[order] == ids[4:][want]).all()
    np.testing.assert_array_equal(got[order], refs[4:][want])


def test_building_the_index_is_a_job_with_progress_and_cancel(store: VectorStore) -> None:
    refs = _people(1000, 4, seed=17)
    ids = store.insert(refs)
    token = CancelToken()
    seen: list[Progress] = []

    def cancel_at_once(event: object) -> None:
        assert isinstance(event, Progress)
        seen.append(event)
        token.cancel()

    with pytest.raises(Cancelled):
        BuildIndexJob(store, cancel=token).run(cancel_at_once)
    assert seen and store.sizes()["index_bytes"] == 0  # no index left behind
    assert store.sizes()["rows"] == len(refs)  # the vectors stay

    events: list[Progress] = []
    sizes = BuildIndexJob(store).run(events.append)  # type: ignore[arg-type]
    assert sizes["rows"] == len(refs) and sizes["index_bytes"] > 0
    assert events[0].done == 0 and events[-1].done == events[-1].total == 1
    assert "index of 4,000 references built" in events[-1].message
    assert (store.search(refs[:5], 1).ids[:, 0] == ids[:5]).all()


def test_an_ivfflat_index_shortlists_and_the_rerank_is_exact(
    pg: Postgres, store: VectorStore
) -> None:
    refs = _people(1500, 4, seed=31)  # 6,000 references
    rng = np.random.default_rng(32)
    probes = refs[rng.choice(len(refs), 50, replace=False)]
    probes = probes + rng.normal(size=probes.shape).astype(np.float32) * np.float32(0.02)
    exact_d, exact_rows = Gallery(refs, np.arange(len(refs))).nearest(probes, 20)
    with VectorStore.connect(pg.conninfo, table=store.table, index="ivfflat") as ivf:
        ids = ivf.insert(refs)
        ivf.build_index(lists=20)
        index = _index_of(pg.conninfo, ivf.table, "ivfflat")
        with psycopg.connect(pg.conninfo) as conn:
            # the query a batch runs, under the settings a search sets: the index is used
            conn.execute("SET ivfflat.probes = 20")
            conn.execute("SET enable_seqscan = off")
            plan = "\n".join(
                r[0]
                for r in conn.execute(
                    f'EXPLAIN SELECT id FROM "{ivf.table}" ORDER BY embedding <-> %s::vector '
                    "LIMIT 20",
                    ("[" + ",".join(map(str, probes[0].tolist())) + "]",),
                ).fetchall()
            )
        assert index is not None and index[0] == ivf.index_name == f"{ivf.table}_ivfflat"
        assert "USING ivfflat (embedding) WITH (lists='20')" in index[1]
        assert index[2] == "vector_l2_ops"  # Euclidean, as Custos
        assert f"Index Scan using {ivf.index_name}" in plan
        assert ivf.sizes()["index_bytes"] > 0

        # every list scanned: the exact search's ids, in its order, with its distances
        every = ivf.search(probes, 20, ivf_probes=20)
        assert (every.ids == ids[exact_rows]).all()
        np.testing.assert_allclose(every.distances, exact_d, atol=1e-5)
        # one list of 20 scanned: fewer true neighbours, yet whatever is found is ranked by
        # its exact distance, and a wider scan finds at least as many
        recalls = []
        for lists in (1, 4, 20):
            found = ivf.search(probes, 20, ivf_probes=lists)
            assert found.found.all()  # iterative scan goes on while a list holds too few
            assert np.all(np.diff(found.distances, axis=1) >= 0)
            recalls.append(_recall(found.ids.view("S16"), ids[exact_rows].view("S16")))
        assert recalls[0] <= recalls[1] <= recalls[2] == 1.0 and recalls[0] < 1.0

        # the knobs are checked before anything is sent
        for bad in (0, 40_000):
            with pytest.raises(VectorInputError, match="IVFFlat lists to scan must be 1-32768"):
                ivf.search(probes, 5, ivf_probes=bad)
        with pytest.raises(VectorInputError, match="IVFFlat lists must be 1-32768"):
            ivf.build_index(lists=0)
    with pytest.raises(ValueError, match="unknown index kind 'annoy'"):
        VectorStore([object()], index="annoy")  # type: ignore[list-item]


def test_an_ivfflat_build_is_a_job_too_and_a_cancel_leaves_no_index(
    pg: Postgres, store: VectorStore
) -> None:
    refs = _people(500, 4, seed=33)
    with VectorStore.connect(pg.conninfo, table=store.table, index="ivfflat") as ivf:
        ids = ivf.insert(refs)
        token = CancelToken()
        with pytest.raises(Cancelled):
            BuildIndexJob(ivf, lists=10, cancel=token).run(lambda _: token.cancel())
        assert (
            ivf.sizes()["index_bytes"] == 0 and _index_of(pg.conninfo, ivf.table, "ivfflat") is None
        )
        events: list[Progress] = []
        sizes = BuildIndexJob(ivf, lists=10).run(events.append)  # type: ignore[arg-type]
        assert sizes["rows"] == len(refs) and sizes["index_bytes"] > 0
        index = _index_of(pg.conninfo, ivf.table, "ivfflat")
        assert index is not None and "lists='10'" in index[1]
        assert _index_of(pg.conninfo, ivf.table, "hnsw") is None  # one index kind per table
        assert (ivf.search(refs[:5], 1, ivf_probes=10).ids[:, 0] == ids[:5]).all()
