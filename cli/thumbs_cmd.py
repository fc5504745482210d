"""custos thumbs make"""

from __future__ import annotations

import click

from cli.common import out, run_cancellable, signed_in
from vault.errors import BatchIncomplete


@click.group()
def thumbs() -> None:
    """Thumbnails of a case's photos and videos (the desktop's Evidence grid shows them)."""


@thumbs.command("make")
@click.option("--case", "case_ref", required=True)
@click.pass_context
def make(ctx: click.Context, case_ref: str) -> None:
    """Make the thumbnail of every photo and video of a case that has none yet (the Evidence
    grid makes them too, when it shows the case). A file that cannot be shown is one line."""
    from matching.thumbs import ThumbJob

    with signed_in(ctx) as session:
        job = ThumbJob(session, case_ref)
        result = run_cancellable(job, "thumbnails", "cancelled; thumbnails made are kept")
    out.print(f"made {result.made} thumbnail(s)", markup=False)
    if result.cancelled:
        out.print("cancelled; thumbnails made are kept", markup=False)
    if result.failed:
        raise BatchIncomplete(f"{len(result.failed)} file(s) cannot be shown (listed above)")


def register(group: click.Group) -> None:
    group.add_command(thumbs)
