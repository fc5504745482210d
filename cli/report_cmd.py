"""custos report | timeline | map"""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import emit_json, out, run_cancellable, safe, signed_in, warn


@click.command("report")
@click.option("--case", "case_ref", required=True)
@click.option("--items", "item_ids", multiple=True, type=int, help="Item id (repeat; default all).")
@click.option(
    "--out", "target", required=True, type=click.Path(path_type=Path), help="FILE.pdf to write."
)
@click.option("--lang", default="en", type=click.Choice(["en", "ar"]), show_default=True)
@click.pass_context
def report(
    ctx: click.Context, case_ref: str, item_ids: tuple[int, ...], target: Path, lang: str
) -> None:
    """A signed court report: FILE.pdf, FILE.html, FILE.pdf.sig (Ed25519) and FILE.pem.

    Check it with: openssl pkeyutl -verify -pubin -inkey FILE.pem -rawin -in FILE.pdf
    -sigfile FILE.pdf.sig
    """
    from exchange.report import ReportJob

    with signed_in(ctx) as session:
        job = ReportJob(session, case_ref, target, list(item_ids), lang)
        res = run_cancellable(job, "reporting", "report cancelled; nothing written", "steps")
    f = res.files
    out.print(
        f"report {res.report_id} of case {safe(case_ref)}: {res.items} item(s), "
        f"{res.matches} face match(es), audit head {res.head}",
        markup=False,
    )
    for path in f.all():
        out.print(f"  {safe(path)}", markup=False)
    out.print(f"sha256 of the PDF: {res.sha256}", markup=False)


@click.command("timeline")
@click.option("--case", "case_ref", required=True)
@click.option("--subject", help="Only the sightings of this subject (its id on a watchlist).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def timeline(ctx: click.Context, case_ref: str, subject: str | None, as_json: bool) -> None:
    """Items in capture-time order, with the time's source and the position (GPS)."""
    from matching.timeline import timeline as items_in_time

    with signed_in(ctx) as session:
        entries = items_in_time(session, case_ref, subject)
    if as_json:
        emit_json([e.as_dict() for e in entries])
        return
    for e in entries:
        where = f"{e.lat:.6f},{e.lon:.6f}" if e.lat is not None and e.lon is not None else "-"
        when = f"{e.time} ({e.zone})" if e.time else "-"
        line = f"{when}\t{e.source_text}\t{where}\titem {e.item}\t{safe(e.name)}"
        for s in e.sightings:
            line += f"\t{safe(s.subject)}@{safe(s.watchlist)} {s.distance:.4f} {s.status}"
        out.print(line, markup=False)


@click.command("map")
@click.option("--case", "case_ref")
@click.option(
    "--subject", help="Only the sightings of this subject, and their track in time order."
)
@click.option("--json", "as_json", is_flag=True)
@click.option("--basemap", is_flag=True, help="Check the offline basemap (its digest) and say it.")
@click.pass_context
def map_(
    ctx: click.Context, case_ref: str | None, subject: str | None, as_json: bool, basemap: bool
) -> None:
    """Items with a GPS position (capture-time order); with --subject, that person's track.

    An item whose recorded position is no place on Earth is left out with a warning line.
    """
    from matching.places import case_map

    if basemap:
        from matching.basemap import basemap_file, load_basemap

        world = load_basemap()
        out.print(
            f"basemap: Natural Earth {world.version} countries 1:10m, {len(world.countries)} "
            f"countries, {len(world.rings)} rings, {world.points} points, SHA-256 as shipped "
            f"({safe(str(basemap_file()))})",
            markup=False,
        )
        return
    if not case_ref:
        raise click.UsageError("give --case REF (or --basemap)")
    with signed_in(ctx) as session:
        found = case_map(session, case_ref, subject)
    for note in found.notes():
        warn(note)
    if as_json:
        emit_json(found.as_dict())
        return
    for e in found.placed:
        when = f"{e.time} ({e.zone})" if e.time else "-"
        out.print(
            f"{e.lat:.6f},{e.lon:.6f}\t{when}\t{e.source_text}\titem {e.item}\t{safe(e.name)}",
            markup=False,
        )
    if subject is not None:
        out.print(f"track of {safe(subject)}: {len(found.track)} stop(s)", markup=False)
        for n, e in enumerate(found.track, 1):
            out.print(
                f"  {n}. {e.time} ({e.zone})\t{e.lat:.6f},{e.lon:.6f}\titem {e.item}",
                markup=False,
            )
    tail = f"{len(found.placed)} item(s) on the map, {found.without_position} without a position"
    if found.ignored:
        tail += f", {len(found.ignored)} with an impossible position (left out)"
    if found.untimed_sightings:
        tail += f", {found.untimed_sightings} sighting(s) without a time (not on the track)"
    out.print(tail, markup=False)


def register(group: click.Group) -> None:
    group.add_command(report)
    group.add_command(timeline)
    group.add_command(map_)
