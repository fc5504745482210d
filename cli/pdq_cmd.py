"""custos pdq compute | groups | sets, and custos items similar"""

from __future__ import annotations

import click

from cli.common import emit_json, out, run_cancellable, safe, signed_in
from vault.errors import BatchIncomplete


@click.group()
def pdq() -> None:
    """PDQ perceptual hashes of a case's photos and videos (near-duplicate pictures)."""


@pdq.command("compute")
@click.option("--case", "case_ref", required=True)
@click.pass_context
def compute(ctx: click.Context, case_ref: str) -> None:
    """Hash every photo and video of a case that has no PDQ hash yet (`faces detect` makes
    them too, for the items it analyses)."""
    from matching.similar import PdqJob

    with signed_in(ctx) as session:
        job = PdqJob(session, case_ref)
        result = run_cancellable(
            job, "perceptual hashes", "hashing cancelled; hashes made are kept"
        )
    out.print(f"hashed {result.items} item(s): {result.hashes} PDQ hash(es)", markup=False)
    if result.failed:
        raise BatchIncomplete(f"{len(result.failed)} item(s) could not be hashed (listed above)")


@pdq.command("groups")
@click.option("--case", "case_ref", required=True)
@click.option("--distance", type=int, default=None, help="PDQ bits of 256 (default: PDQ's 31).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def groups(ctx: click.Context, case_ref: str, distance: int | None, as_json: bool) -> None:
    """Groups of near-duplicate pictures in a case (re-encoded, resized, re-compressed)."""
    from matching.similar import duplicate_groups

    with signed_in(ctx) as session:
        found = duplicate_groups(session, case_ref, distance=distance)
    if as_json:
        emit_json(
            [{"group": n, "members": [m.as_dict() for m in g]} for n, g in enumerate(found, 1)]
        )
        return
    for n, g in enumerate(found, 1):
        names = ", ".join(f"{m.item} ({safe(m.name)})" for m in g)
        out.print(f"group {n}: {len(g)} items: {names}", markup=False)
    if not found:
        out.print("no near-duplicates", markup=False)


@pdq.command("sets")
@click.option("--case", "case_ref", required=True)
@click.option("--distance", type=int, default=None, help="PDQ bits of 256 (default: PDQ's 31).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def sets(ctx: click.Context, case_ref: str, distance: int | None, as_json: bool) -> None:
    """Items of a case that are near-duplicates of an entry of an active PDQ hash set (a
    partner's known-bad PDQ list), known-bad first."""
    from matching.similar import case_set_matches

    with signed_in(ctx) as session:
        found = case_set_matches(session, case_ref, distance=distance)
    if as_json:
        emit_json([f.as_dict() for f in found])
        return
    for f in found:
        m = f.match
        at = f" at {m.frame_time:.1f} s" if m.frame_time is not None else ""
        cat = "-" if m.category is None else str(m.category)
        out.print(
            f"item {f.item}\t{safe(f.name)}{at}\t{m.kind}\tset {safe(m.set)}\tcategory {cat}"
            f"\tdistance {m.distance}\t{m.hash}",
            markup=False,
        )
    if not found:
        out.print("no item near an active PDQ set's entry", markup=False)


@click.command("similar")
@click.argument("item_id", type=int)
@click.option("--all-cases", is_flag=True, help="Every case you may read, not only the item's.")
@click.option("--distance", type=int, default=None, help="PDQ bits of 256 (default: PDQ's 31).")
@click.option(
    "--face-threshold", type=float, default=None, help="Face distance (default: alert, 0.6)."
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def similar(
    ctx: click.Context,
    item_id: int,
    all_cases: bool,
    distance: int | None,
    face_threshold: float | None,
    as_json: bool,
) -> None:
    """Near-duplicates and other occurrences of an item: same content (SHA-256), a
    near-duplicate picture (PDQ) or the same face, with case, item and distance."""
    from matching.similar import similar as find

    with signed_in(ctx) as session:
        result = find(
            session, item_id, all_cases=all_cases, distance=distance, face_threshold=face_threshold
        )
    if as_json:
        emit_json(result.as_dict())
        return
    where = "every case you may read" if all_cases else f"case {safe(result.case)}"
    out.print(f"item {result.item} ({safe(result.name)}), searched in {where}:", markup=False)
    if result.pdq_hashes == 0:
        out.print(
            f"  no PDQ hash yet: run `custos pdq compute --case {safe(result.case)}`",
            markup=False,
        )
    elif result.low_quality:
        out.print(
            f"  PDQ quality {result.pdq_quality} (under 50): near-duplicates not searched",
            markup=False,
        )
    for o in result.occurrences:
        at = f" at {o.frame_time:.1f} s" if o.frame_time is not None else ""
        out.print(
            f"{o.kind}\t{safe(o.case)}\titem {o.item}\tdistance {o.distance:g}\t{safe(o.name)}{at}",
            markup=False,
        )
    if not result.occurrences:
        out.print("  no other occurrence", markup=False)
    for m in result.set_matches:
        at = f" at {m.frame_time:.1f} s" if m.frame_time is not None else ""
        cat = "-" if m.category is None else str(m.category)
        out.print(
            f"{m.kind}\tset {safe(m.set)}\tcategory {cat}\tdistance {m.distance}\t{m.hash}{at}",
            markup=False,
        )


def register(group: click.Group) -> None:
    from cli.items_cmd import items

    group.add_command(pdq)
    items.add_command(similar)
