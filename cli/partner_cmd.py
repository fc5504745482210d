"""custos partner add | list | show | revoke-key, and custos agreement add | list"""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import emit_json, out, safe, signed_in
from exchange import directory
from exchange.cards import grouped, read_card_file


@click.group()
def partner() -> None:
    """Partner agencies we trust, with their keys."""


def _print(info: directory.PartnerInfo) -> None:
    # every field but the fingerprints (computed here from the key) comes from the card
    out.print(f"{safe(info.name)} ({safe(info.country)})  {safe(info.contact)}", markup=False)
    out.print(f"  recipient {safe(info.recipient)}", markup=False)
    for k in info.keys:
        out.print(f"  key {k.grouped}  {k.status}  added {k.added_at[:10]}", markup=False)


def _head(info: directory.PartnerInfo) -> None:
    h = info.head
    if h is None:
        out.print("  audit head: none known (no bundle from them carried one)", markup=False)
        return
    out.print(
        f"  audit head {h.seq}:{h.hash} (bundle {safe(h.bundle_id)}, received {h.at[:10]})",
        markup=False,
    )
    b = info.went_back
    if b is not None:
        out.print(
            f"  warning: their audit head went backwards ({b.seq}:{b.hash[:16]}..., bundle "
            f"{safe(b.bundle_id)}, received {b.at[:10]}): check with them",
            markup=False,
        )


@partner.command("add")
@click.option("--card", "card", required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--rotate", is_flag=True, help="Replace a known partner's key (old one retires).")
@click.pass_context
def add(ctx: click.Context, card: Path, rotate: bool) -> None:
    """Trust a partner's key card (check its fingerprint with them out of band first)."""
    data = read_card_file(card)  # bounded: never a FIFO, a device or more than a card holds
    with signed_in(ctx) as session:
        info = directory.add_partner(session, data, str(card), rotate=rotate)
    out.print("partner added; compare this fingerprint with the partner:", markup=False)
    _print(info)


@partner.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List partners and their keys."""
    with signed_in(ctx) as session:
        found = directory.list_partners(session)
    if as_json:
        emit_json([p.as_dict() for p in found])
        return
    for p in found:
        _print(p)


@partner.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx: click.Context, name: str, as_json: bool) -> None:
    """A partner's keys and agreements."""
    with signed_in(ctx) as session:
        info, agreements = directory.show_partner(session, name)
    if as_json:
        emit_json(info.as_dict() | {"agreements": [a.as_dict() for a in agreements]})
        return
    _print(info)
    _head(info)
    for a in agreements:
        _agreement_line(a)


@partner.command("revoke-key")
@click.argument("name")
@click.argument("fpr", nargs=-1, required=True)
@click.pass_context
def revoke_key(ctx: click.Context, name: str, fpr: tuple[str, ...]) -> None:
    """Revoke a partner key: bundles it signed are refused from now on."""
    with signed_in(ctx) as session:
        key = directory.revoke_key(session, name, "".join(fpr))
    out.print(f"key {grouped(key.fingerprint)} of {safe(name)} revoked", markup=False)


@click.group()
def agreement() -> None:
    """Agreements: what we may send each partner, for which purpose, until when."""


def _agreement_line(a: directory.AgreementInfo) -> None:
    state = "active" if a.active() else "inactive"
    areas = ",".join(a.crime_areas) or "all crime areas"
    out.print(
        f"#{a.id} {safe(a.partner)} {a.purpose} {safe(a.reference or '-')} "
        f"labels={','.join(a.labels)} {safe(areas)} onward={'yes' if a.onward else 'no'} "
        f"{a.valid_from}..{a.valid_until} {state}"
        + (" photos/videos redacted only" if a.redacted else ""),
        markup=False,
    )


@agreement.command("add")
@click.argument("partner_name")
@click.option("--purpose", required=True, type=click.Choice(directory.PURPOSES))
@click.option("--reference", help="MLA request reference (required for --purpose mla).")
@click.option("--labels", required=True, help="Allowed TLP labels, e.g. GREEN,AMBER.")
@click.option("--crime", "crime", multiple=True, help="Crime area covered (repeat; none = all).")
@click.option("--onward", is_flag=True, help="The partner may share onward.")
@click.option("--from", "valid_from", help="First day (YYYY-MM-DD, default today).")
@click.option("--until", required=True, help="Last day (YYYY-MM-DD).")
@click.option(
    "--redacted", is_flag=True, help="Photos and videos go only as redacted copies (faces blurred)."
)
@click.pass_context
def agreement_add(
    ctx: click.Context,
    partner_name: str,
    purpose: str,
    reference: str | None,
    labels: str,
    crime: tuple[str, ...],
    onward: bool,
    valid_from: str | None,
    until: str,
    redacted: bool,
) -> None:
    """Record an agreement with a partner."""
    with signed_in(ctx) as session:
        a = directory.add_agreement(
            session,
            partner_name,
            purpose,
            labels,
            until,
            reference,
            list(crime),
            onward,
            valid_from,
            redacted,
        )
    _agreement_line(a)


@agreement.command("list")
@click.option("--partner", "partner_name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def agreement_list(ctx: click.Context, partner_name: str | None, as_json: bool) -> None:
    """List agreements (all, or one partner's)."""
    with signed_in(ctx) as session:
        found = directory.list_agreements(session, partner_name)
    if as_json:
        emit_json([a.as_dict() for a in found])
        return
    for a in found:
        _agreement_line(a)


def register(group: click.Group) -> None:
    group.add_command(partner)
    group.add_command(agreement)
