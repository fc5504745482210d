"""The fixed words of a court report in English and Arabic (``custos report --lang en|ar``).

Values from the vault (names, reasons, hashes, times) are never translated; only these labels.
Review outcomes and custody kinds are translated through ``OUTCOMES`` and ``KINDS``.
"""

from __future__ import annotations

LANGS = ("en", "ar")

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Court report", "تقرير للمحكمة"),
    "case": ("Case", "القضية"),
    "reference": ("Reference", "المرجع"),
    "case_title": ("Title", "العنوان"),
    "crime_areas": ("Crime areas", "مجالات الجريمة"),
    "operation": ("Joint operation", "عملية مشتركة"),
    "partners": ("Partner agencies", "الجهات الشريكة"),
    "created": ("Opened", "تاريخ الفتح"),
    "agency": ("Issuing agency", "الجهة المصدرة"),
    "made_by": ("Report made by", "أعد التقرير"),
    "made_at": ("Report made at", "وقت إعداد التقرير"),
    "report_id": ("Report id", "معرف التقرير"),
    "scope": ("Scope", "النطاق"),
    "scope_case": ("every item of the case", "جميع عناصر القضية"),
    "scope_items": ("selected items", "عناصر مختارة"),
    "items_count": ("Items", "العناصر"),
    "matches_count": ("Face matches", "مطابقات الوجوه"),
    "audit_head": ("Audit head at the time of the report", "رأس سجل التدقيق وقت التقرير"),
    "audit_head_note": (
        "Sequence number and hash of the newest audit entry when this report was made "
        "(custos verify --head SEQ:HASH checks the vault against it). The report's own custody "
        "events come after it.",
        "الرقم التسلسلي وبصمة أحدث قيد في سجل التدقيق عند إعداد هذا التقرير "
        "(يتحقق الأمر custos verify --head SEQ:HASH من الخزنة مقابله). "
        "قيود الحيازة الخاصة بهذا التقرير تأتي بعده.",
    ),
    "signing_key": ("Workstation signing key (SHA-256)", "مفتاح توقيع محطة العمل (SHA-256)"),
    "html_twin": ("HTML twin (SHA-256)", "النسخة المقابلة بصيغة HTML (SHA-256)"),
    "legal": ("Legal basis", "الأساس القانوني"),
    "no_legal": (
        "No agreement with a partner and no transfer are recorded for these items.",
        "لا توجد اتفاقية مع شريك ولا نقل مسجل لهذه العناصر.",
    ),
    "agreements": ("Agreements with partners", "الاتفاقيات مع الشركاء"),
    "partner": ("Partner", "الشريك"),
    "purpose": ("Purpose", "الغرض"),
    "labels": ("Labels", "التصنيفات"),
    "valid": ("Valid", "السريان"),
    "onward": ("Onward sharing", "المشاركة اللاحقة"),
    "yes": ("yes", "نعم"),
    "no": ("no", "لا"),
    "none": ("none", "لا يوجد"),
    "no_agreement": ("no agreement on record", "لا توجد اتفاقية مسجلة"),
    "transfers": ("Transfers", "عمليات النقل"),
    "direction": ("Direction", "الاتجاه"),
    "sent_to": ("sent to", "أرسل إلى"),
    "received_from": ("received from", "ورد من"),
    "bundle": ("Bundle", "الحزمة"),
    "items": ("Items", "العناصر"),
    "item": ("Item", "العنصر"),
    "name": ("Name", "الاسم"),
    "size": ("Size (bytes)", "الحجم (بايت)"),
    "label": ("Handling label", "تصنيف التداول"),
    "exhibit": ("Exhibit", "رقم المضبوطات"),
    "seized": ("Seized from / at / on / by", "ضبط من / في / بتاريخ / بواسطة"),
    "description": ("Description", "الوصف"),
    "original_path": ("Original path", "المسار الأصلي"),
    "acquired": ("Acquired by / at", "استلم بواسطة / في"),
    "custody": ("Custody and processing", "سلسلة الحيازة والمعالجة"),
    "when": ("When", "الوقت"),
    "who": ("Who", "من"),
    "event": ("Event", "الحدث"),
    "details": ("Details", "التفاصيل"),
    "known_files": ("Known-file hits", "تطابقات الملفات المعروفة"),
    "hash_set": ("Hash set", "مجموعة البصمات"),
    "kind": ("Kind", "النوع"),
    "algorithm": ("Algorithm", "الخوارزمية"),
    "acknowledged": ("Acknowledged", "تم الإقرار"),
    "matches": ("Face matches", "مطابقات الوجوه"),
    "no_matches": (
        "No face of these items was proposed as a candidate by a search.",
        "لم يقترح أي بحث وجهاً من هذه العناصر كمرشح.",
    ),
    "match": ("Candidate", "المرشح"),
    "probe": ("Face in the evidence", "الوجه في الدليل"),
    "reference_photo": ("Reference photo", "الصورة المرجعية"),
    "no_probe": ("(probe photo search)", "(بحث بصورة مرجعية)"),
    "watchlist": ("Watchlist", "قائمة المراقبة"),
    "subject": ("Subject", "الشخص"),
    "listing": ("Listing (reason, agency, label)", "الإدراج (السبب، الجهة، التصنيف)"),
    "search": ("Search", "البحث"),
    "search_line": (
        "run {run} by {actor} at {at}, {mode} mode",
        "البحث {run} بواسطة {actor} في {at}، وضع {mode}",
    ),
    "model": ("Model", "النموذج"),
    "rank": ("Rank", "الترتيب"),
    "distance": ("Distance", "المسافة"),
    "threshold": ("Threshold", "العتبة"),
    "calibration": ("How the threshold was calibrated", "كيف تمت معايرة العتبة"),
    "calibration_line": (
        "calibrated on {folder} ({images} images, {nonmated} non-mated and {mated} mated "
        "searches, model {model}) for a target FPIR of {target}: measured FPIR {fpir}, "
        "FNIR {fnir}, threshold {threshold}",
        "تمت المعايرة على {folder} ({images} صورة، {nonmated} بحث غير مطابق و{mated} بحث "
        "مطابق، النموذج {model}) لمعدل تعريف إيجابي خاطئ مستهدف {target}: المعدل المقاس {fpir}، "
        "معدل التعريف السلبي الخاطئ {fnir}، العتبة {threshold}",
    ),
    "not_calibrated": (
        "not calibrated: the watchlist's default threshold",
        "غير معايرة: العتبة الافتراضية لقائمة المراقبة",
    ),
    "threshold_changed": (
        "the watchlist's threshold is now {now}; this search used {used}",
        "عتبة قائمة المراقبة الآن {now}؛ واستخدم هذا البحث {used}",
    ),
    "status": ("Review status", "حالة المراجعة"),
    "decisions": ("Review decisions", "قرارات المراجعة"),
    "reviewer": ("Reviewer", "المراجع"),
    "decision": ("Decision", "القرار"),
    "reason": ("Reason", "السبب"),
    "not_reviewed": ("not reviewed", "لم تتم المراجعة"),
    "candidate_note": (
        "A candidate is not an identification until a reviewer confirms it.",
        "المرشح ليس تعرفاً على الهوية حتى يؤكده مراجع.",
    ),
    "signature_note": (
        "This PDF is signed with the workstation key: FILE.pdf.sig is a detached Ed25519 "
        "signature over its bytes, FILE.pem the public key. Check with: openssl pkeyutl -verify "
        "-pubin -inkey FILE.pem -rawin -in FILE.pdf -sigfile FILE.pdf.sig",
        "هذا الملف موقع بمفتاح محطة العمل: FILE.pdf.sig توقيع Ed25519 منفصل على بايتاته، "
        "وFILE.pem المفتاح العام. للتحقق: openssl pkeyutl -verify -pubin -inkey FILE.pem "
        "-rawin -in FILE.pdf -sigfile FILE.pdf.sig",
    ),
    "page": ("Page {n}", "صفحة {n}"),
}

OUTCOMES: dict[str, tuple[str, str]] = {
    "confirmed": ("confirmed", "مؤكد"),
    "rejected": ("rejected", "مرفوض"),
    "inconclusive": ("inconclusive", "غير حاسم"),
    "pending": ("pending", "قيد الانتظار"),
    "awaiting second review": ("awaiting second review", "بانتظار مراجعة ثانية"),
}

KINDS: dict[str, tuple[str, str]] = {
    "acquired": ("acquired", "استلام"),
    "viewed": ("viewed", "عرض"),
    "exported": ("exported", "تصدير"),
    "annotated": ("annotated", "ملاحظة"),
    "corrected": ("corrected", "تصحيح"),
    "transferred": ("transferred", "نقل"),
    "analysed": ("analysed", "تحليل"),
    "reviewed": ("reviewed", "مراجعة"),
    "reported": ("reported", "تقرير"),
}


class Words:
    """The labels of one language; ``words("key", n=1)`` formats placeholders."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._i = LANGS.index(lang)

    @property
    def rtl(self) -> bool:
        return self.lang == "ar"

    def __call__(self, key: str, **values: object) -> str:
        text = _TEXT[key][self._i]
        return text.format(**values) if values else text

    def outcome(self, value: str) -> str:
        pair = OUTCOMES.get(value)
        return pair[self._i] if pair else value

    def kind(self, value: str) -> str:
        pair = KINDS.get(value)
        return pair[self._i] if pair else value
