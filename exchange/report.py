"""Court reports: ``custos report --case REF [--items ID...] --out FILE.pdf [--lang en|ar]``.

A report of a case (or a selection of its items) is four files next to each other::

    FILE.pdf       the report (ReportLab; ``exchange.reportpdf``)
    FILE.html      its twin: the same blocks as HTML (``exchange.reporthtml``); its SHA-256 is
                   printed in the PDF, so the signature covers it too
    FILE.pdf.sig   raw Ed25519 signature (64 bytes) by the workstation key over FILE.pdf's bytes
    FILE.pem       the workstation's public key (SubjectPublicKeyInfo PEM)

so that ``openssl pkeyutl -verify -pubin -inkey FILE.pem -rawin -in FILE.pdf -sigfile
FILE.pdf.sig`` verifies, exactly as a bundle's tagmanifest does (``exchange.signature``, the one
signer of both).

Who: ``case.report`` (analysts and liaison officers: the people who hand a case to a court or to
a partner's prosecutor); a refusal is audited like any other. What it records: one ``reported``
custody event on every item the report covers (report id, the PDF's SHA-256, language, file
name, the audit head the report shows) and a ``report.made`` audit entry on the case, in one
transaction after the files are in place; if that commit fails the files are removed, so no
report exists unrecorded. The audit head printed is the one read with the rows, before those
entries.

Files: none of the four names may exist (a planted link included); each is written to a temp
file made ``O_EXCL|O_NOFOLLOW`` in the same folder, fsynced and published with ``link`` (which
refuses any existing name), so nothing someone placed there is ever followed or overwritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exchange import reportdata, reportdoc
from exchange.cards import fingerprint
from exchange.reportdata import ReportData
from exchange.reporthtml import render_html
from exchange.reportpdf import font_dir, render_pdf
from exchange.reporttext import LANGS
from exchange.signature import sign_detached
from vault.errors import UserError
from vault.fsutil import create_temp, publish
from vault.items import add_custody_events
from vault.jobs import CancelToken, Emit, Progress
from vault.session import Session, now


@dataclass(frozen=True)
class ReportFiles:
    pdf: Path
    html: Path
    signature: Path
    public_key: Path

    @classmethod
    def of(cls, out: Path) -> ReportFiles:
        if out.suffix.lower() != ".pdf":
            raise UserError(f"{out}: the report's name must end in .pdf")
        stem = out.with_suffix("")
        return cls(
            out,
            stem.with_name(stem.name + ".html"),
            out.with_name(out.name + ".sig"),
            stem.with_name(stem.name + ".pem"),
        )

    def all(self) -> tuple[Path, Path, Path, Path]:
        return (self.pdf, self.html, self.signature, self.public_key)


@dataclass(frozen=True)
class ReportResult:
    files: ReportFiles
    report_id: str
    sha256: str  # of the PDF
    items: int
    matches: int
    head: str  # the audit head the report shows ("SEQ:HASH")
    lang: str


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise UserError(f"unknown report language {lang!r} (one of {', '.join(LANGS)})")
    return lang


def _check_targets(files: ReportFiles) -> None:
    folder = files.pdf.parent
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder")
    for path in files.all():
        if os.path.lexists(path):
            kind = "a link" if path.is_symlink() else "a file"
            raise UserError(f"{path}: already exists ({kind}); not overwritten, nothing written")


def _write(files: ReportFiles, contents: dict[Path, bytes]) -> None:
    """Every file to a private temp file first, then each published under its name; on any
    failure nothing of ours is left."""
    temps: dict[Path, Path] = {}
    placed: list[Path] = []
    try:
        for path, data in contents.items():
            fd, tmp = create_temp(path, 0o644)
            temps[path] = tmp
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        for path in files.all():
            publish(temps[path], path, overwrite=False)
            placed.append(path)
    except FileExistsError as exc:
        _remove(placed)
        raise UserError(
            f"{exc.filename}: already exists; not overwritten, nothing written"
        ) from None
    except OSError as exc:
        _remove(placed)
        raise UserError(
            f"{exc.filename or files.pdf}: cannot write the report: {exc.strerror}"
        ) from None
    finally:
        for tmp in temps.values():
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def _remove(paths: Sequence[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


class ReportJob:
    """Gather (items, then matches with their two checked images), lay out, sign, write,
    record. Progress counts items + matches, then the layout; the token is checked between
    items and every 50 laid-out blocks, never while files are being published."""

    def __init__(
        self,
        session: Session,
        case_reference: str,
        out: Path,
        item_ids: Sequence[int] | None = None,
        lang: str = "en",
        cancel: CancelToken | None = None,
    ) -> None:
        self.session, self.case_reference = session, case_reference
        self.files = ReportFiles.of(out)
        self.item_ids = list(item_ids) if item_ids else None
        self.lang = check_lang(lang)
        self.cancel = cancel or CancelToken()
        self.report_id = str(uuid.uuid4())

    def run(self, emit: Emit) -> ReportResult:
        s = self.session
        s.require("case.report", target=f"case:{self.case_reference}")
        _check_targets(self.files)
        font_dir()  # a missing font is said before any work
        data = reportdata.gather(
            s,
            self.case_reference,
            self.item_ids,
            self.cancel,
            lambda done, total: emit(Progress(done, total * 2, "steps", "reading")),
        )
        total = 2 * (len(data.items) + len(data.matches))
        half = total // 2
        emit(Progress(half, total, "steps", "laying out"))
        made_at = now()
        key = fingerprint(s.signing_public.public_bytes_raw())
        pictures = reportdoc.match_pictures(self.lang)
        html = render_html(self._document(data, made_at, key, None, pictures))
        doc = self._document(data, made_at, key, hashlib.sha256(html).hexdigest(), pictures)
        laid = [0]

        def tick() -> None:
            self.cancel.check()
            laid[0] += 50
            emit(Progress(min(half + laid[0] // 3, total - 1), total, "steps", "laying out"))

        pdf = render_pdf(doc, self._meta(data), tick)
        self.cancel.check()  # the last point where a cancel leaves nothing behind
        signed = sign_detached(s, pdf)
        pdf_sha = hashlib.sha256(pdf).hexdigest()
        f = self.files
        _write(
            f,
            {
                f.pdf: pdf,
                f.html: html,
                f.signature: signed.signature,
                f.public_key: signed.public_pem,
            },
        )
        try:
            self._record(data, pdf_sha)
        except BaseException:
            _remove(f.all())
            raise
        emit(Progress(total, total, "steps", "done"))
        return ReportResult(
            f,
            self.report_id,
            pdf_sha,
            len(data.items),
            len(data.matches),
            str(data.head),
            self.lang,
        )

    def _document(
        self,
        data: ReportData,
        made_at: str,
        key: str,
        html_sha: str | None,
        pictures: reportdoc.PairMaker,
    ) -> reportdoc.Document:
        return reportdoc.build(
            data, self.lang, self.report_id, made_at, key, html_sha, pictures, self.cancel.check
        )

    def _meta(self, data: ReportData) -> dict[str, str]:
        return {
            "title": f"Court report {data.case.reference}",
            "author": data.agency or data.made_by,
            "subject": f"report {self.report_id}; audit head {data.head}",
        }

    def _record(self, data: ReportData, pdf_sha: str) -> None:
        details: dict[str, Any] = {
            "report": self.report_id,
            "sha256": pdf_sha,
            "file": self.files.pdf.name,
            "lang": self.lang,
            "audit_head": str(data.head),
        }
        s = self.session
        add_custody_events(
            s,
            "reported",
            [(it.info.id, details) for it in data.items],
            also=lambda db: s.audit(
                db,
                "report.made",
                target=f"case:{data.case.reference}",
                items=len(data.items),
                matches=len(data.matches),
                **details,
            ),
        )
