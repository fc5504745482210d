"""The case overview page and the Help menu, driven as a user on a real vault."""

from __future__ import annotations

from guikit import settle, sign_in

from desktop.about import COMPONENTS, shortcuts


def test_a_case_opens_on_its_overview_with_links_to_the_pages_behind(matched, qtbot):
    window = sign_in(matched, qtbot)
    settle(qtbot, window)
    cases = window.show_area("cases")
    settle(qtbot, window)
    row = next(i for i, c in enumerate(cases.model.records) if c.reference == "OP-7")
    cases._open(cases.proxy.mapFromSource(cases.model.index(row, 0)))
    settle(qtbot, window)
    page = window.pages["overview"]
    assert window.current_page() is page
    o = page.overview
    assert o is not None and o.reference == "OP-7"
    assert o.items > 0 and o.faces > 0 and o.waiting_review > 0
    assert o.partners == [] or "BKA" in o.partners
    assert page.values["faces"].text().startswith(str(o.faces))
    assert "first look" in page.values["changed"].text()
    assert page.values["verified"].text()
    assert window.pages["evidence"].case_ref == "OP-7"  # one click away, already chosen
    page.review_button.click()
    settle(qtbot, window)
    assert window.current_page() is window.pages["review"]
    assert window.pages["review"].cases.reference() == "OP-7"
    window.show_case("OP-7")
    settle(qtbot, window)
    assert "Nothing changed" in page.values["changed"].text()
    page.evidence_button.click()
    settle(qtbot, window)
    assert window.current_page() is window.pages["evidence"]


def test_overview_in_arabic_says_every_figure_in_arabic(matched, qtbot):
    window = sign_in(matched, qtbot)
    matched.set_language("ar")
    window = matched.window
    window.show_case("OP-7")
    settle(qtbot, window)
    page = window.pages["overview"]
    assert page.overview is not None
    for key in ("kinds", "faces", "review", "changed"):
        text = page.values[key].text()
        assert any("\u0600" <= ch <= "\u06ff" for ch in text), (key, text)
    assert window.sidebar.item(1).text() != "Overview"
    assert window.menuBar().actions()[-1].text() != "&Help"


def test_help_menu_about_and_the_real_shortcuts(controller, qtbot):
    window = sign_in(controller, qtbot)
    about = window.show_about()
    text = about.text.text()
    assert "Custos 0.1.0" in text and "Python 3.11" in text and "Qt 6." in text
    for what, _dist, licence in COMPONENTS:
        assert what in text and licence.split(" ")[0] in text
    assert "LGPL-3.0" in text
    about.close()
    listed = dict(shortcuts(window))
    assert listed["Ctrl+L"] == "Lock" and listed["F5"] == "Refresh" and listed["F1"]
    assert listed[window.quit_action.shortcut().toString()] == "Quit"
    assert {"C", "R", "I", "J", "K"} <= set(listed)
    dialog = window.show_shortcuts()
    assert "Ctrl+L" in dialog.text.text()
    dialog.close()
