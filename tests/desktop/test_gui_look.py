"""A workstation that looks like one: themes, icons, whole identifiers, dates, words not names.

Driven as a user on a real vault (the matched demo vault of ``matchkit``)."""

from __future__ import annotations

import re

from guikit import settle, sign_in
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from desktop import settings, theme
from desktop.tablemodel import day, fixed_font, when


def _window_colour(window) -> str:
    return window.palette().color(QPalette.ColorRole.Window).name()


def test_the_theme_is_a_view_menu_choice_remembered_for_the_next_start(controller, qtbot):
    window = sign_in(controller, qtbot)
    assert settings.theme() == "system"  # nobody chose: the system's scheme
    assert window.theme_actions["system"].isChecked()
    assert all(not window.sidebar.item(n).icon().isNull() for n in range(window.sidebar.count()))
    window.show_area("audit")
    settle(qtbot, window)
    window.theme_actions["dark"].trigger()
    dark = controller.window
    assert theme.is_dark() and settings.theme() == "dark"
    assert _window_colour(dark) == "#2b2d31"
    assert dark.palette().color(QPalette.ColorRole.Text).lightness() > 200
    assert dark.current_page() is dark.pages["audit"]  # the same page, in the new colours
    assert dark.theme_actions["dark"].isChecked()
    dark.theme_actions["light"].trigger()
    light = controller.window
    assert not theme.is_dark() and settings.theme() == "light"
    assert light.palette().color(QPalette.ColorRole.Window).lightness() > 200
    assert light.palette().color(QPalette.ColorRole.Text).lightness() < 60
    # the next start (a new app) takes the choice from the settings
    theme.apply(QApplication.instance(), "system")
    from desktop.app import make_app

    settings.set_theme("dark")
    make_app([])
    assert QGuiApplication.palette().color(QPalette.ColorRole.Window).name() == "#2b2d31"
    theme.apply(QApplication.instance(), "light")


def test_coloured_notes_stay_readable_in_both_themes(qapp):
    for dark in (False, True):
        pal = theme.palette(dark)
        for meaning in ("danger", "muted", "ok"):
            fg = theme.colour(meaning, dark)
            for role in (QPalette.ColorRole.Base, QPalette.ColorRole.Window):
                ratio = theme.contrast(fg, pal.color(role))
                assert ratio >= 4.5, (dark, meaning, role, ratio)
        # the selected row's text too
        hi = pal.color(QPalette.ColorRole.Highlight)
        assert theme.contrast(pal.color(QPalette.ColorRole.HighlightedText), hi) >= 3.0


def test_hashes_are_whole_in_their_columns_copyable_and_elided_only_when_narrowed(matched, qtbot):
    window = sign_in(matched, qtbot)
    page = window.show_area("evidence")
    page.show_case("OP-7")
    settle(qtbot, window)
    qtbot.waitUntil(lambda: page.model.rowCount() > 0)
    view = page.view
    titles = [page.model.headerData(n, Qt.Orientation.Horizontal) for n in range(7)]
    column = next(
        n for n in range(page.model.columnCount()) if page.model.columns[n].title == "SHA-256"
    )
    assert titles
    sha = page.model.records[0].sha256
    whole = QFontMetrics(fixed_font()).horizontalAdvance(sha)
    assert view.columnWidth(column) >= whole  # never cut
    index = page.proxy.index(0, column)
    assert index.data(Qt.ItemDataRole.ToolTipRole) == index.data()
    assert len(index.data()) == 64
    view.setCurrentIndex(index)
    view.selectionModel().select(index, view.selectionModel().SelectionFlag.ClearAndSelect)
    copy = next(a for a in view.actions() if a.objectName() == "copy_cells")
    copy.trigger()
    assert QGuiApplication.clipboard().text() == index.data()
    # the user narrows it: it stays narrow after a refresh (elided in the middle, tooltip whole)
    view.setColumnWidth(column, 120)
    page.refresh()
    settle(qtbot, window)
    assert view.columnWidth(column) == 120
    assert view.textElideMode() == Qt.TextElideMode.ElideMiddle
    assert page.proxy.index(0, column).data(Qt.ItemDataRole.ToolTipRole) == sha


def test_every_table_fits_its_columns_to_their_content(matched, qtbot):
    from desktop.tablemodel import MAX_CHARS

    window = sign_in(matched, qtbot)
    audit = window.show_area("audit")
    settle(qtbot, window)
    view = audit.view
    header = view.horizontalHeader()
    bold = view.font()
    bold.setBold(True)
    metrics = QFontMetrics(bold)
    cap = MAX_CHARS * view.fontMetrics().averageCharWidth() + 16
    for n in range(header.count() - 1):  # the last one stretches
        column = audit.model.columns[n]
        fm = QFontMetrics(fixed_font()) if column.whole else metrics
        for r in range(min(20, audit.proxy.rowCount())):
            text = audit.proxy.index(r, n).data()
            want = min(fm.horizontalAdvance(text), 10**6 if column.whole else cap - 20)
            assert view.columnWidth(n) >= want, (column.title, text)


def test_audit_and_overview_say_what_happened_in_words_never_raw_names_or_json(matched, qtbot):
    window = sign_in(matched, qtbot)
    window.show_case("OP-7")
    settle(qtbot, window)
    overview = window.pages["overview"]
    assert "first look" in overview.values["changed"].text()
    from vault.items import annotate, list_items

    item = list_items(window.session, "OP-7")[0]
    annotate(window.session, item.id, "looked at the harbour photos")
    window.show_case("OP-7")
    settle(qtbot, window)
    text = overview.values["changed"].text()
    assert "Custody: note added: 1" in text, text
    assert not re.search(r"\b[a-z]+\.[a-z_]+\b", text), text  # no "custody.annotated"
    audit = window.show_area("audit")
    settle(qtbot, window)
    shown = [
        audit.proxy.index(r, 2).data() for r in range(audit.proxy.rowCount())
    ]  # the Action column
    assert "Evidence item acquired" in shown and "Custody: note added" in shown
    assert not [s for s in shown if re.fullmatch(r"[a-z_]+\.[a-z_]+", s)]
    details = [audit.proxy.index(r, 4).data() for r in range(audit.proxy.rowCount())]
    assert not [d for d in details if "{" in d or '":' in d]  # no JSON
    # in Arabic, the same sentences in Arabic
    matched.set_language("ar")
    window = matched.window
    window.show_case("OP-7")
    settle(qtbot, window)
    text = window.pages["overview"].values["changed"].text()
    assert "Custody" not in text and any("\u0600" <= ch <= "\u06ff" for ch in text)
    # "6 (2.28 MiB)" starts in Arabic digits and holds Latin: it still reads right to left
    items = window.pages["overview"].values["items"].text()
    assert items.startswith("\u200f") and "MiB" in items


def test_one_date_format_with_the_time_zone_in_the_users_locale(qapp):
    from desktop import i18n

    stamp = "2026-03-01T09:30:00+00:00"
    english = when(stamp)
    assert re.search(r"\d", english) and "\u2068" in english  # the zone, isolated
    zone = english.split("\u2068")[1].rstrip("\u2069")
    assert (zone and not any(ch.isdigit() for ch in zone)) or zone.startswith(("UTC", "GMT"))
    assert day("2027-01-31") != "2027-01-31"
    i18n.install("ar")
    try:
        arabic = when(stamp)
        assert "٠" in arabic or "١" in arabic or "٣" in arabic  # Arabic-Indic digits
        assert not re.search(r"[0-9]", arabic.split("\u2068")[0])  # none of the Latin ones
        assert any("\u0660" <= ch <= "\u0669" for ch in day("2027-01-31"))
    finally:
        i18n.install("en")


def _english_sources() -> set[str]:
    """Every English source whose Arabic differs from it (what must never show in Arabic)."""
    import xml.etree.ElementTree as ET

    from desktop.i18n import HERE

    found = set()
    for m in ET.parse(HERE / "custos_ar.ts").getroot().iter("message"):
        source, arabic = m.findtext("source") or "", m.findtext("translation") or ""
        if source.strip() and arabic.strip() != source.strip():
            found.add(source.replace("&", "").strip())
    return found


def _shown_texts(window) -> list[tuple[str, str]]:
    """What a user reads in the window: labels, buttons, titles, placeholders, tabs, headers,
    menus (each with the widget's object name or class, to say where)."""
    from PySide6.QtWidgets import (
        QAbstractButton,
        QGroupBox,
        QLabel,
        QLineEdit,
        QTableView,
        QTabWidget,
        QWidget,
    )

    texts: list[tuple[str, str]] = []
    for w in window.findChildren(QWidget):
        if not w.isVisibleTo(window):
            continue
        where = w.objectName() or type(w).__name__
        if isinstance(w, QLabel | QAbstractButton):
            texts.append((where, w.text()))
        elif isinstance(w, QGroupBox):
            texts.append((where, w.title()))
        elif isinstance(w, QLineEdit):
            texts.append((where, w.placeholderText()))
        elif isinstance(w, QTabWidget):
            texts += [(where, w.tabText(n)) for n in range(w.count())]
        if isinstance(w, QTableView) and w.model() is not None:
            model = w.model()
            texts += [
                (where, str(model.headerData(n, Qt.Orientation.Horizontal) or ""))
                for n in range(model.columnCount())
            ]

    def menu_texts(actions) -> None:
        for a in actions:
            texts.append(("menu", a.text()))
            if a.menu() is not None:
                menu_texts(a.menu().actions())

    menu_texts(window.menuBar().actions())
    return texts


def test_every_page_in_arabic_shows_no_english_string(matched, qtbot):
    """Walk every area of the sidebar in Arabic: nothing a user reads is an untranslated
    English string of ours (a wrong context, a string built outside ``tr``)."""
    from desktop import i18n

    english = _english_sources()
    window = sign_in(matched, qtbot)
    matched.set_language("ar")
    window = matched.window
    untranslated = []
    seen = 0
    for key in window.area_keys():
        page = window.show_area(key)
        page.show_case("OP-7")
        settle(qtbot, window)
        for where, text in _shown_texts(window):
            seen += 1
            plain = text.replace("&", "").strip()
            if plain in english and plain not in i18n.NAMES.values():  # "English" stays so
                untranslated.append((key, where, plain))
    assert seen > 300  # the walk read the pages (not a vacuous pass)
    assert not sorted(set(untranslated)), sorted(set(untranslated))
