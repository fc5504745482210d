"""Every audit action in words: one table for the CLI's audit output and the desktop.

The action names (``item.acquired``) are the audit log's stable vocabulary; people read the
sentence. The desktop translates each sentence in the ``Actions`` context (the markers below are
collected by ``pyside6-lupdate`` with the desktop's sources; see ``desktop/i18n/build.py``). An
action missing here (from a newer Custos, or a partner's) still reads as words, never as a
dotted name.
"""

from __future__ import annotations


def QT_TRANSLATE_NOOP(context: str, source: str) -> str:
    """Marks ``source`` for translation in ``context``; returns it unchanged (no Qt here)."""
    return source


CONTEXT = "Actions"

SENTENCES: dict[str, str] = {
    # the vault, its keys and users
    "vault.created": QT_TRANSLATE_NOOP("Actions", "Vault created"),
    "vault.recovered": QT_TRANSLATE_NOOP("Actions", "Vault opened with the recovery key"),
    "vault.verified": QT_TRANSLATE_NOOP("Actions", "Vault verified"),
    "vault.upgraded": QT_TRANSLATE_NOOP("Actions", "Vault upgraded to a newer format"),
    "vault.pushed": QT_TRANSLATE_NOOP("Actions", "Vault moved into the agency server"),
    "blobs.pack_sized": QT_TRANSLATE_NOOP("Actions", "Stored pack's size recorded by verify"),
    "keys.signing_rotated": QT_TRANSLATE_NOOP("Actions", "Workstation signing key replaced"),
    "keys.vault_rotated": QT_TRANSLATE_NOOP("Actions", "Vault key rotated"),
    "keys.identity_exported": QT_TRANSLATE_NOOP("Actions", "Vault identity exported"),
    "user.added": QT_TRANSLATE_NOOP("Actions", "User added"),
    "user.roles": QT_TRANSLATE_NOOP("Actions", "User's roles changed"),
    "user.password": QT_TRANSLATE_NOOP("Actions", "User's password changed"),
    "user.disabled": QT_TRANSLATE_NOOP("Actions", "User disabled"),
    "signin.failed": QT_TRANSLATE_NOOP("Actions", "Failed sign-ins recorded"),
    "signin.record_damaged": QT_TRANSLATE_NOOP("Actions", "Sign-in record found damaged"),
    "permission.refused": QT_TRANSLATE_NOOP("Actions", "Action refused: no permission"),
    "workstation.enrolled": QT_TRANSLATE_NOOP("Actions", "Workstation enrolled"),
    "workstation.revoked": QT_TRANSLATE_NOOP("Actions", "Workstation revoked"),
    "workstation.refused": QT_TRANSLATE_NOOP("Actions", "Write refused: workstation revoked"),
    "workstation.key_refused": QT_TRANSLATE_NOOP("Actions", "Refused: unsafe workstation key file"),
    "workstation.store_key_kept": QT_TRANSLATE_NOOP(
        "Actions", "Workstation revoked, but the object store could not remove its key"
    ),
    # cases, items, custody
    "case.created": QT_TRANSLATE_NOOP("Actions", "Case created"),
    "case.viewed": QT_TRANSLATE_NOOP("Actions", "Case overview opened"),
    "item.acquired": QT_TRANSLATE_NOOP("Actions", "Evidence item acquired"),
    "custody.acquired": QT_TRANSLATE_NOOP("Actions", "Custody: item acquired"),
    "items.acquired": QT_TRANSLATE_NOOP("Actions", "Evidence items acquired (one batch)"),
    "custody.viewed": QT_TRANSLATE_NOOP("Actions", "Custody: item viewed"),
    "custody.exported": QT_TRANSLATE_NOOP("Actions", "Custody: item exported to a file"),
    "custody.annotated": QT_TRANSLATE_NOOP("Actions", "Custody: note added"),
    "custody.corrected": QT_TRANSLATE_NOOP("Actions", "Custody: seizure record corrected"),
    "custody.transferred": QT_TRANSLATE_NOOP("Actions", "Custody: item sent to a partner"),
    "custody.analysed": QT_TRANSLATE_NOOP("Actions", "Custody: item analysed for faces"),
    "custody.reviewed": QT_TRANSLATE_NOOP("Actions", "Custody: match reviewed"),
    "custody.reported": QT_TRANSLATE_NOOP("Actions", "Custody: item in a court report"),
    "custody.redacted": QT_TRANSLATE_NOOP("Actions", "Custody: redacted copy made"),
    "report.made": QT_TRANSLATE_NOOP("Actions", "Court report made"),
    "label.set": QT_TRANSLATE_NOOP("Actions", "Handling label set on an item"),
    "label.case_set": QT_TRANSLATE_NOOP("Actions", "Handling label set on a case"),
    "label.received": QT_TRANSLATE_NOOP("Actions", "Handling label received with an item"),
    # faces and matching
    "faces.analysed": QT_TRANSLATE_NOOP("Actions", "Item analysed for faces"),
    "face.found": QT_TRANSLATE_NOOP("Actions", "Face found"),
    "faces.clustered": QT_TRANSLATE_NOOP("Actions", "Unknown faces grouped"),
    "search.run": QT_TRANSLATE_NOOP("Actions", "Watchlist search run"),
    "search.candidate": QT_TRANSLATE_NOOP("Actions", "Candidate found by a search"),
    "review.decided": QT_TRANSLATE_NOOP("Actions", "Candidate reviewed"),
    "review.refused": QT_TRANSLATE_NOOP("Actions", "Review refused"),
    "items.similar": QT_TRANSLATE_NOOP("Actions", "Similar items looked up"),
    "pdq.computed": QT_TRANSLATE_NOOP("Actions", "Photo fingerprint (PDQ) computed"),
    "pdq.set_matches": QT_TRANSLATE_NOOP("Actions", "Photo near an entry of a PDQ set"),
    "thumb.made": QT_TRANSLATE_NOOP("Actions", "Thumbnail made"),
    "face.track_boxes": QT_TRANSLATE_NOOP("Actions", "Face boxes of a video track recorded"),
    "face.drawn": QT_TRANSLATE_NOOP("Actions", "Missed face drawn by hand"),
    "face.discarded": QT_TRANSLATE_NOOP("Actions", "False detection discarded"),
    "cluster.named": QT_TRANSLATE_NOOP("Actions", "Group of faces named as a subject"),
    "cluster.split": QT_TRANSLATE_NOOP("Actions", "Faces split from their group"),
    "cluster.merged": QT_TRANSLATE_NOOP("Actions", "Groups of faces merged"),
    "item.redacted": QT_TRANSLATE_NOOP("Actions", "Redacted copy of an item made"),
    "watchlist.created": QT_TRANSLATE_NOOP("Actions", "Watchlist created"),
    "watchlist.subject_added": QT_TRANSLATE_NOOP("Actions", "Subject listed"),
    "watchlist.subject_updated": QT_TRANSLATE_NOOP("Actions", "Subject's listing changed"),
    "watchlist.reference_added": QT_TRANSLATE_NOOP("Actions", "Reference photo added"),
    "watchlist.calibrated": QT_TRANSLATE_NOOP("Actions", "Watchlist threshold calibrated"),
    "watchlist.indexed": QT_TRANSLATE_NOOP("Actions", "Server search index built"),
    "watchlist.vectors_written": QT_TRANSLATE_NOOP(
        "Actions", "Reference vectors written to the server"
    ),
    "watchlist.vectors_removed": QT_TRANSLATE_NOOP(
        "Actions", "Server vectors of no reference removed"
    ),
    "watchlist.exported": QT_TRANSLATE_NOOP("Actions", "Watchlist sent to a partner"),
    "watchlist.export_refused": QT_TRANSLATE_NOOP("Actions", "Watchlist export refused"),
    "watchlist.imported": QT_TRANSLATE_NOOP("Actions", "Watchlist received from a partner"),
    # known files
    "hashset.imported": QT_TRANSLATE_NOOP("Actions", "Hash set imported"),
    "hashset.made_from_case": QT_TRANSLATE_NOOP("Actions", "Hash set made from a case"),
    "hashset.enabled": QT_TRANSLATE_NOOP("Actions", "Hash set enabled"),
    "hashset.disabled": QT_TRANSLATE_NOOP("Actions", "Hash set disabled"),
    "hashset.deleted": QT_TRANSLATE_NOOP("Actions", "Hash set deleted"),
    "hashset.received": QT_TRANSLATE_NOOP("Actions", "Hash set received from a partner"),
    "hashset.exported": QT_TRANSLATE_NOOP("Actions", "Hash set sent to a partner"),
    "hashset.export_refused": QT_TRANSLATE_NOOP("Actions", "Hash set export refused"),
    "hashset.matched": QT_TRANSLATE_NOOP("Actions", "Case matched against hash sets"),
    "hashset.hit": QT_TRANSLATE_NOOP("Actions", "Known file found"),
    "hashset.alert": QT_TRANSLATE_NOOP("Actions", "Known-bad file found"),
    "hashset.acknowledged": QT_TRANSLATE_NOOP("Actions", "Known-bad alert acknowledged"),
    # partners and bundles
    "agency.set": QT_TRANSLATE_NOOP("Actions", "Our agency's details set"),
    "agency.card": QT_TRANSLATE_NOOP("Actions", "Our key card saved"),
    "partner.added": QT_TRANSLATE_NOOP("Actions", "Partner added"),
    "partner.key_added": QT_TRANSLATE_NOOP("Actions", "Partner key added"),
    "partner.key_retired": QT_TRANSLATE_NOOP("Actions", "Partner key retired"),
    "partner.key_revoked": QT_TRANSLATE_NOOP("Actions", "Partner key revoked"),
    "partner.recipient_changed": QT_TRANSLATE_NOOP("Actions", "Partner's encryption key changed"),
    "partner.head_recorded": QT_TRANSLATE_NOOP("Actions", "Partner's audit head recorded"),
    "agreement.added": QT_TRANSLATE_NOOP("Actions", "Agreement added"),
    "agreement.redaction": QT_TRANSLATE_NOOP("Actions", "Agreement set to redacted copies only"),
    "bundle.exported": QT_TRANSLATE_NOOP("Actions", "Bundle sent to a partner"),
    "bundle.export_refused": QT_TRANSLATE_NOOP("Actions", "Bundle export refused"),
    "bundle.verified": QT_TRANSLATE_NOOP("Actions", "Bundle verified"),
    "bundle.refused": QT_TRANSLATE_NOOP("Actions", "Bundle refused"),
    "bundle.imported": QT_TRANSLATE_NOOP("Actions", "Bundle imported"),
    "bundle.head_backwards": QT_TRANSLATE_NOOP("Actions", "Partner's audit head went backwards"),
}


def sentence(action: str) -> str:
    """``action`` in English words: its sentence, or its name read as words."""
    found = SENTENCES.get(action)
    if found is not None:
        return found
    words = action.replace(".", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]
