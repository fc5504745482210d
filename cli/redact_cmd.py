"""custos redact ITEM [--keep FACE ...] [--all]"""

from __future__ import annotations

import click

from cli.common import emit_json, out, run_cancellable, signed_in


@click.command("redact")
@click.argument("item_id", type=int)
@click.option("--keep", "keep", type=int, multiple=True, help="A face to leave visible (repeat).")
@click.option("--all", "all_faces", is_flag=True, help="Blur every face (the default).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def redact(
    ctx: click.Context, item_id: int, keep: tuple[int, ...], all_faces: bool, as_json: bool
) -> None:
    """Make a copy of a photo or video with faces blurred, as a new item derived from it."""
    from matching.redaction import RedactJob

    with signed_in(ctx) as session:
        job = RedactJob(session, item_id, keep=list(keep), all_faces=all_faces)
        result = run_cancellable(job, "redacting", "redaction cancelled; nothing was recorded")
    if as_json:
        emit_json(
            {
                "item": result.item,
                "name": result.name,
                "sha256": result.sha256,
                "size": result.size,
                "blurred": result.blurred,
                "kept": result.kept,
                "frames": result.frames,
                "derived_from": item_id,
            }
        )
        return
    out.print(
        f"item {result.item} ({result.name}): {result.blurred} face(s) blurred, "
        f"{len(result.kept)} kept; sha256 {result.sha256}",
        markup=False,
    )


def register(group: click.Group) -> None:
    group.add_command(redact)
