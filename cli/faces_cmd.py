"""custos faces detect | list | cluster | add | discard"""

from __future__ import annotations

import click

from cli.common import ctrl_c_cancels, emit_json, out, run_cancellable, run_job, signed_in
from vault.errors import BatchIncomplete, Cancelled
from vault.jobs import CancelToken


@click.group()
def faces() -> None:
    """Find faces in a case's photos and videos, list and cluster them (analyst)."""


@faces.command("detect")
@click.option("--case", "case_ref", required=True)
@click.option("--video-fps", type=float, default=2.0, show_default=True, help="Frames sampled/s.")
@click.option(
    "--hard-faces/--no-hard-faces",
    default=True,
    show_default=True,
    help="Where HOG finds no well-sized face, look again on an enlarged copy and with the CNN "
    "detector (~2 s of CPU per photo without a face; off: faster, small faces missed).",
)
@click.pass_context
def detect(ctx: click.Context, case_ref: str, video_fps: float, hard_faces: bool) -> None:
    """Detect faces in every photo and video of a case not analysed yet."""
    from matching.casefaces import DetectJob
    from matching.parallel import prestart

    prestart()  # the worker processes' server loads its models while the vault is unlocked
    with signed_in(ctx) as session:
        token = CancelToken()
        job = DetectJob(session, case_ref, video_fps=video_fps, cancel=token, hard_faces=hard_faces)
        with ctrl_c_cancels(token):
            result = run_job(job.run, "finding faces", unit="items")
    out.print(f"analysed {result.items} item(s): {result.faces} face(s) or track(s)", markup=False)
    if result.cancelled:
        raise Cancelled("detection cancelled; items finished before are kept")
    if result.failed:
        raise BatchIncomplete(f"{len(result.failed)} item(s) could not be analysed (listed above)")


@faces.command("list")
@click.option("--case", "case_ref", required=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_(ctx: click.Context, case_ref: str, as_json: bool) -> None:
    """Faces in photos and video tracks, in order of capture time."""
    from matching.facelist import list_faces

    with signed_in(ctx) as session:
        found = list_faces(session, case_ref)
    if as_json:
        emit_json([f.as_dict() for f in found])
        return
    for f in found:
        when = f"{f.start:.1f}-{f.end:.1f}s" if f.kind == "track" else (f.captured_at or "-")
        q = f.quality
        mark = f"\tdrawn by {f.drawn_by}" if f.drawn_by else ""
        mark += f"\tdiscarded: {f.discarded}" if f.discarded else ""
        out.print(
            f"{f.id}\t{f.kind}\titem {f.item}\t{when}\teyes {q['inter_eye_px']:.0f}px\t"
            f"sharp {q['sharpness']:.0f}\tyaw {q['yaw_deg']:.0f}\t{f.found_by()}\t"
            f"{f.item_name}{mark}",
            markup=False,
        )


@faces.command("cluster")
@click.option("--case", "case_ref", required=True)
@click.option("--threshold", type=float, default=0.5, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def cluster(ctx: click.Context, case_ref: str, threshold: float, as_json: bool) -> None:
    """Groups of faces of one person recurring across a case (Chinese whispers)."""
    from matching.facelist import ClusterJob

    with signed_in(ctx) as session:
        job = ClusterJob(session, case_ref, threshold)
        result = run_cancellable(job, "grouping faces", "clustering cancelled")
    groups = result.groups
    if as_json:
        emit_json(
            [
                {"group": n, "subject": s, "members": [f.as_dict() for f in g]}
                for n, (g, s) in enumerate(zip(groups, result.names, strict=True), 1)
            ]
        )
        return
    named = result.names or [None] * len(groups)
    for n, (g, subject) in enumerate(zip(groups, named, strict=True), 1):
        names = ", ".join(f"{f.id} ({f.item_name})" for f in g)
        who = f" = {subject}" if subject else ""
        out.print(f"group {n}{who}: {len(g)} faces: {names}", markup=False)
    if not groups:
        out.print("no recurring faces", markup=False)


@faces.command("add")
@click.option("--item", "item_id", type=int, required=True, help="The photo's item id.")
@click.option("--box", required=True, help="x,y,w,h in the photo's pixels (as shown, upright).")
@click.option("--reason", default="", help="Why (default: missed by the detector).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def add(ctx: click.Context, item_id: int, box: str, reason: str, as_json: bool) -> None:
    """Add a face the detector missed, boxed by hand: encoded and searchable like any other."""
    from matching.curation import draw_face, parse_box

    rect = parse_box(box)
    with signed_in(ctx) as session:
        face_id = draw_face(session, item_id, rect, reason)
    if as_json:
        emit_json({"face": face_id, "item": item_id, "box": list(rect), "drawn": True})
        return
    out.print(f"face {face_id} added to item {item_id} (drawn by hand)", markup=False)


@faces.command("discard")
@click.argument("face_id", type=int)
@click.option("--case", "case_ref", required=True)
@click.option("--reason", required=True, help="Why it is not a face (recorded).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def discard(ctx: click.Context, face_id: int, case_ref: str, reason: str, as_json: bool) -> None:
    """Mark a false detection: kept in the record, never searched, clustered or redacted."""
    from matching.curation import discard_face

    with signed_in(ctx) as session:
        discard_face(session, case_ref, face_id, reason)
    if as_json:
        emit_json({"face": face_id, "discarded": reason})
        return
    out.print(f"face {face_id} discarded: {reason}", markup=False)


def register(group: click.Group) -> None:
    group.add_command(faces)
