"""custos cluster split | merge | name: an analyst's corrections of a case's face groups."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from cli.common import emit_json, listing_options, out, say_error, signed_in, warn
from vault.errors import BatchIncomplete

if TYPE_CHECKING:
    from matching.watchlists import Listing


@click.group()
def cluster() -> None:
    """Correct the groups 'custos faces cluster' finds: split, merge, name (analyst)."""


def _faces_option(help_text: str):  # type: ignore[no-untyped-def]
    return click.option(
        "--face", "face_ids", type=int, multiple=True, required=True, help=help_text
    )


@cluster.command("split")
@click.option("--case", "case_ref", required=True)
@_faces_option("A face to take out of its group (repeat: they become one group of their own).")
@click.option("--reason", default="", help="Why (recorded in the audit log and custody).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def split(
    ctx: click.Context, case_ref: str, face_ids: tuple[int, ...], reason: str, as_json: bool
) -> None:
    """These faces are one person, apart from the rest of their group."""
    from matching.curation import split as core_split

    with signed_in(ctx) as session:
        edit = core_split(session, case_ref, list(face_ids), reason)
    if as_json:
        emit_json({"edit": edit, "kind": "split", "faces": list(face_ids)})
        return
    out.print(f"split: faces {', '.join(map(str, face_ids))} form a group apart", markup=False)


@cluster.command("merge")
@click.option("--case", "case_ref", required=True)
@_faces_option("A face of a group to merge (repeat: one face of each group is enough).")
@click.option("--reason", default="", help="Why (recorded in the audit log and custody).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def merge(
    ctx: click.Context, case_ref: str, face_ids: tuple[int, ...], reason: str, as_json: bool
) -> None:
    """The groups of these faces are one person."""
    from matching.curation import merge as core_merge

    with signed_in(ctx) as session:
        edit = core_merge(session, case_ref, list(face_ids), reason)
    if as_json:
        emit_json({"edit": edit, "kind": "merge", "faces": list(face_ids)})
        return
    out.print(f"merged the groups of faces {', '.join(map(str, face_ids))}", markup=False)


@cluster.command("name")
@click.option("--case", "case_ref", required=True)
@_faces_option("A face of the group (repeat for every face to enrol as a reference).")
@click.option("--watchlist", required=True, help="The watchlist to enrol the subject on.")
@click.option("--subject", "subject_ref", required=True, help="Subject id in the listing.")
@listing_options
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def name(
    ctx: click.Context,
    case_ref: str,
    face_ids: tuple[int, ...],
    watchlist: str,
    subject_ref: str,
    listing: Listing,
    as_json: bool,
) -> None:
    """Name a group as a (new) subject of a watchlist: its faces become reference photos."""
    from matching.curation import name_cluster

    with signed_in(ctx) as session:
        subject, refused, warned = name_cluster(
            session, case_ref, list(face_ids), watchlist, subject_ref, listing
        )
    enrolled = len(face_ids) - len(refused)
    if as_json:
        emit_json(
            {
                "subject_id": subject,
                "subject": subject_ref,
                "watchlist": watchlist,
                "faces": list(face_ids),
                "refused": [{"face": f, "reason": why} for f, why in refused],
                "warnings": [{"face": f, "warning": why} for f, why in warned],
            }
        )
    else:
        for face, why in refused:
            say_error(face, why.removeprefix(f"{face}: "))
        for _face, why in warned:
            warn(f"{why} (enrolled)")
        out.print(
            f"subject {subject_ref} on watchlist {watchlist}: {enrolled} face(s) enrolled",
            markup=False,
        )
    if refused:
        raise BatchIncomplete(f"{len(refused)} face(s) refused (listed above)")


def register(group: click.Group) -> None:
    group.add_command(cluster)
