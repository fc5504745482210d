"""custos faces detect | list | cluster"""

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
        out.print(
            f"{f.id}\t{f.kind}\titem {f.item}\t{when}\teyes {q['inter_eye_px']:.0f}px\t"
            f"sharp {q['sharpness']:.0f}\tyaw {q['yaw_deg']:.0f}\t{f.found_by()}\t{f.item_name}",
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
        groups = run_cancellable(job, "grouping faces", "clustering cancelled").groups
    if as_json:
        emit_json(
            [{"group": n, "members": [f.as_dict() for f in g]} for n, g in enumerate(groups, 1)]
        )
        return
    for n, g in enumerate(groups, 1):
        names = ", ".join(f"{f.id} ({f.item_name})" for f in g)
        out.print(f"group {n}: {len(g)} faces: {names}", markup=False)
    if not groups:
        out.print("no recurring faces", markup=False)


def register(group: click.Group) -> None:
    group.add_command(faces)
