"""Screenshots of the real app for the README (run by scripts/screenshots.sh under Xvfb).

Builds a demo vault from ../shared/faces through the core (the GUI tests' ``matchkit``), starts
the app with its controller, signs in through the login dialog, visits **every area of the
sidebar** (whatever ``desktop.pages.AREAS`` holds: a new page is photographed with no change
here) and the dialogs in ``DIALOGS``, in English and in Arabic, saves each window with
``QWidget.grab()`` into docs/screenshots/ (``<view>.png``, ``<view>-ar.png``) and rewrites the
README's table between ``<!-- screenshots -->`` and ``<!-- /screenshots -->``.

To add a view: a new sidebar area needs nothing (give it a line in ``CAPTIONS`` and, if it loads
pictures, a ``READY`` condition); a dialog gets a line in ``DIALOGS``.

    xvfb-run -s "-screen 0 1400x900x24" uv run python scripts/screenshots.py [--out DIR]
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "desktop")]
SIZE = (1280, 800)


def wait(app: object, until: Callable[[], bool], seconds: float = 60.0) -> None:
    """Run the event loop until ``until()`` (the app keeps working: jobs finish, images load)."""
    import time

    from PySide6.QtTest import QTest

    end = time.monotonic() + seconds
    while not until():
        if time.monotonic() > end:
            raise TimeoutError("the app did not reach the expected state")
        QTest.qWait(50)


def settle(app: object, ms: int = 400) -> None:
    import time

    end = time.monotonic() + ms / 1000
    wait(app, lambda: time.monotonic() > end)


def save(widget: object, out: Path, name: str) -> Path:
    path = out / f"{name}.png"
    widget.grab().save(str(path), "PNG")  # type: ignore[attr-defined]
    if path.stat().st_size > 200_000:  # README images stay small: fewer colours, same pixels
        os.system(f"convert {path} -colors 255 PNG8:{path}")
    print(f"{path} ({path.stat().st_size // 1024} KiB)")
    return path


CASE = "OP-7"

# What each view shows, for the README (a view without a caption is named by its area title).
CAPTIONS = {
    "login": "Sign in",
    "cases": "Cases the user may read",
    "overview": "Case overview: figures, partners, what changed since you last looked",
    "evidence": "Evidence of a case, with whole hashes and known-file hits",
    "thumbnails": "Evidence as thumbnails",
    "timeline": "Timeline: items at their capture time, zoomable, filtered",
    "map": "Map of the items with a position (offline basemap)",
    "hashsets": "Hash sets (NSRL, VICS, lists) and their state",
    "faces": "Faces and video tracks found in a case, with quality",
    "watchlists": "Watchlist subjects, reference photos and calibration",
    "review": "Review: probe and reference side by side, listing, distance and threshold",
    "partners": "Partner directory: grouped key fingerprints and agreements",
    "bundles": "Bundles sent and received",
    "audit": "Audit log in words, with the chain status",
    "admin": "Users, roles, sign-ins and keys",
    "search": "Search a case's faces against watchlists",
    "export-policy": "Export: the policy check lists refused items before anything is written",
    "item": "One item: preview, record, custody and audit history",
    "evidence-grid": "Evidence as thumbnails (made once, stored encrypted)",
    "evidence-dark": "The dark theme (View > Theme)",
}

DARK_VIEW = "evidence"  # photographed in the dark theme too

# Extra conditions before an area is photographed (beyond "every call answered").
READY: dict[str, Callable[[Any], bool]] = {
    "evidence": lambda page: page.model.rowCount() > 0,
    "faces": lambda page: page.model.rowCount() > 0 and page.cache.pending == 0,
    "review": lambda page: page.detail is not None,
    "watchlists": lambda page: page.photos.count() > 0,
    "overview": lambda page: page.overview is not None,
}


def _export(window: Any) -> Any:
    bundles = window.show_area("bundles")
    bundles.show_case(CASE)
    dialog = bundles.open_export()
    dialog.purpose.setCurrentIndex(dialog.purpose.findData("joint-operation"))
    return dialog


def _search(window: Any) -> Any:
    faces = window.show_area("faces")
    faces.show_case(CASE)
    return faces.open_search()


def _item(window: Any) -> Any:
    evidence = window.show_area("evidence")
    evidence.show_case(CASE)
    return evidence.view_item(evidence.model.records[0].id)


# (name, area it needs, open(window) -> dialog, ready(dialog))
DIALOGS: list[tuple[str, str, Callable[[Any], Any], Callable[[Any], bool]]] = [
    ("export-policy", "bundles", _export, lambda d: d.preview is not None),
    ("search", "faces", _search, lambda d: True),
    ("item", "evidence", _item, lambda d: d.loaded),
]


def _grid(app: Any, window: Any, out: Path, name: str) -> None:
    """The evidence as thumbnails (made by the grid's job)."""
    evidence = window.show_area("evidence")
    evidence.show_case(CASE)
    wait(app, lambda: evidence.model.rowCount() > 0)
    evidence.show_grid(True)
    grid = evidence.grid
    wait(app, lambda: grid.job is None and bool(grid.tiles) and grid.cache.pending == 0)
    settle(app, 800)
    wait(app, lambda: grid.cache.pending == 0)
    save(window, out, name)
    evidence.show_grid(False)


# Areas photographed their own way (name -> photographer(app, window, out, file name)).
SPECIAL: dict[str, Callable[[Any, Any, Path, str], None]] = {}
# Views that are not areas, after the areas: (name, area it needs, photographer).
EXTRA: list[tuple[str, str, Callable[[Any, Any, Path, str], None]]] = []


def photograph(app: Any, window: Any, out: Path, suffix: str) -> list[str]:
    """Every area of the sidebar, the extra views, every dialog; returns the names."""
    names = []
    for key in window.area_keys():
        if key in SPECIAL:
            SPECIAL[key](app, window, out, key + suffix)
            names.append(key)
            continue
        page = window.show_area(key)
        page.show_case(CASE)
        ready = READY.get(key, lambda _p: True)
        wait(app, lambda r=ready, p=page: not window.runner.busy and r(p))
        settle(app)
        save(window, out, key + suffix)
        names.append(key)
    for name, area, take in EXTRA:
        if area in window.area_keys():
            take(app, window, out, name + suffix)
            names.append(name)
    for name, area, open_dialog, ready_dialog in DIALOGS:
        if area not in window.area_keys():
            continue
        dialog = open_dialog(window)
        wait(app, lambda r=ready_dialog, d=dialog: not window.runner.busy and r(d))
        settle(app)
        save(dialog, out, name + suffix)
        dialog.close()
        names.append(name)
    return names


def readme_table(names: list[str], titles: dict[str, str]) -> str:
    """A compact table: one row per view, English and Arabic side by side."""
    rows = ["| View | English | العربية |", "|---|---|---|"]
    for name in names:
        caption = CAPTIONS.get(name) or titles.get(name, name)
        image = f"docs/screenshots/{name}"
        rows.append(
            f'| {caption} | <img src="{image}.png" width="400" alt="{caption}"> '
            f'| <img src="{image}-ar.png" width="400" alt="{caption} (Arabic)"> |'
        )
    return "\n".join(rows)


def write_readme(table: str) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- screenshots -->", "<!-- /screenshots -->"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        readme.write_text(f"{before}{start}\n{table}\n{end}{after}", encoding="utf-8")
        print(f"{readme}: screenshot table rewritten")


def main() -> int:
    out = Path(sys.argv[sys.argv.index("--out") + 1]) if "--out" in sys.argv else None
    out = out or ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    faces = Path(os.environ.get("CUSTOS_FACES", ROOT.parent / "shared" / "faces")).resolve()
    work = Path(tempfile.mkdtemp(prefix="custos-demo-"))
    os.environ["XDG_CONFIG_HOME"] = str(work / "config")  # no developer settings, fresh layout

    from matchkit import build

    build(work, faces)
    _places(work, faces)
    from desktop.app import make_app

    app = make_app([])
    from desktop.controller import Controller
    from vaultkit import FAST_KDF, PASSWORD

    controller = Controller(work / "vault", kdf=FAST_KDF)
    controller.start()
    login = controller.dialog
    login.user.setText("alice")
    login.password.setText(PASSWORD)
    settle(app)
    save(login, out, "login")
    login.sign_in_button.click()
    wait(app, lambda: controller.window is not None)
    window = controller.window
    window.resize(*SIZE)
    settle(app)
    titles = {a.key: a.title for a in window.areas}
    names = photograph(app, window, out, "")
    controller.set_language("ar")
    window = controller.window
    window.resize(*SIZE)
    settle(app)
    photograph(app, window, out, "-ar")
    for lang, suffix in (("ar", "-ar"), ("en", "")):  # the dark theme, both languages
        controller.set_language(lang)
        controller.set_theme("dark")
        window = controller.window
        window.resize(*SIZE)
        page = window.show_area(DARK_VIEW)
        page.show_case(CASE)
        wait(app, lambda w=window, p=page: not w.runner.busy and READY[DARK_VIEW](p))
        settle(app)
        save(window, out, f"{DARK_VIEW}-dark{suffix}")
    controller.set_theme("system")
    names.append(f"{DARK_VIEW}-dark")
    controller.set_language("ar")
    controller.lock()  # the login dialog, now in Arabic
    wait(app, lambda: controller.dialog is not None)
    settle(app)
    save(controller.dialog, out, "login-ar")
    write_readme(readme_table(["login", *names], titles))
    controller.quit()
    return 0


def _map(app: Any, window: Any, out: Path, name: str) -> None:
    places = window.show_area("map")  # type: ignore[attr-defined]
    places.show_case("MAP-DEMO")
    wait(app, lambda: places.loaded is not None and bool(places.view.levels))
    places.show_subject("obama")
    wait(app, lambda: places.loaded.subject == "obama")
    settle(app)
    places.fit_button.click()
    settle(app)
    save(window, out, name)


# (file, photo, capture time, latitude, longitude): obama in three cities, others, a harbour
PLACES = (
    ("amsterdam.jpg", "knn/test/obama1.jpg", "2021:05:03 09:00:00", 52.3731, 4.8922),
    ("brussels.jpg", "knn/train/obama/obama.jpg", "2021:05:04 13:30:00", 50.8467, 4.3525),
    ("paris.jpg", "knn/train/obama/obama2.jpg", "2021:05:05 18:10:00", 48.8584, 2.2945),
    ("london.jpg", "knn/test/alex_lacamoire1.jpg", "2021:05:02 11:00:00", 51.5072, -0.1276),
    ("berlin.jpg", "knn/test/johnsnow_test1.jpg", "2021:05:06 08:00:00", 52.5200, 13.4050),
    *(
        (
            f"harbour-{n}.jpg",
            "knn/test/kit_with_rose.jpg",
            f"2021:05:01 07:{n:02d}:00",
            51.9225 + n * 0.004,
            4.4792 - n * 0.006,
        )
        for n in range(8)
    ),
)


def _places(work: Path, faces: Path) -> None:
    """Case MAP-DEMO: photos with EXIF GPS positions, searched against "wanted" (alert mode:
    only faces under the threshold are proposed, so obama's track is his three cities)."""
    from mapkit import make_case

    from matching.searching import search
    from vaultkit import open_as

    session = open_as(work / "vault")
    try:
        make_case(session, faces, work / "places", PLACES, "MAP-DEMO")
        search(session, ["wanted"], case_reference="MAP-DEMO", mode="alert")
    finally:
        session.close()


SPECIAL["map"] = _map  # a subject's track across three cities (case MAP-DEMO)
EXTRA.append(("evidence-grid", "evidence", _grid))


if __name__ == "__main__":
    sys.exit(main())
