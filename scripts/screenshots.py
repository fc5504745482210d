"""Screenshots of the real app for the README (run by scripts/screenshots.sh under Xvfb).

Builds a demo vault from ../shared/faces through the core (the GUI tests' ``matchkit``), starts
the app with its controller, signs in through the login dialog, visits the main screens and
saves each window with ``QWidget.grab()`` into docs/screenshots/.

    xvfb-run -s "-screen 0 1400x900x24" uv run python scripts/screenshots.py [--out DIR]
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

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


def save(widget: object, out: Path, name: str) -> None:
    path = out / f"{name}.png"
    widget.grab().save(str(path), "PNG")  # type: ignore[attr-defined]
    if path.stat().st_size > 290_000:  # README images stay small: fewer colours, same pixels
        os.system(f"convert {path} -colors 255 PNG8:{path}")
    print(f"{path} ({path.stat().st_size // 1024} KiB)")


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

    evidence = window.show_area("evidence")
    evidence.show_case("OP-7")
    wait(app, lambda: evidence.model.rowCount() > 0)
    settle(app)
    save(window, out, "evidence")

    evidence.show_grid(True)  # the same evidence as thumbnails (made by the grid's job)
    grid = evidence.grid
    wait(app, lambda: grid.job is None and bool(grid.tiles) and grid.cache.pending == 0)
    settle(app, 800)
    wait(app, lambda: grid.cache.pending == 0)
    save(window, out, "evidence-grid")
    evidence.show_grid(False)

    page = window.show_area("faces")
    page.show_case("OP-7")
    wait(app, lambda: page.model.rowCount() > 0)
    wait(app, lambda: page.cache.pending == 0)
    settle(app)
    save(window, out, "faces")

    review = window.show_area("review")
    review.show_case("OP-7")
    wait(app, lambda: review.detail is not None)
    settle(app)
    save(window, out, "review")

    lists = window.show_area("watchlists")
    wait(app, lambda: lists.photos.count() > 0)
    settle(app)
    save(window, out, "watchlists")

    window.show_area("partners")
    settle(app)
    save(window, out, "partners")

    _map(app, window, out, "map")  # a subject's track across three cities
    controller.set_language("ar")
    window = controller.window
    window.resize(*SIZE)
    _map(app, window, out, "map-ar")
    controller.set_language("en")
    window = controller.window
    window.resize(*SIZE)
    controller.set_language("ar")  # the thumbnails in Arabic (right to left)
    window = controller.window
    window.resize(*SIZE)
    evidence = window.show_area("evidence")
    evidence.show_case("OP-7")
    wait(app, lambda: evidence.model.rowCount() > 0)
    evidence.show_grid(True)
    grid = evidence.grid
    wait(app, lambda: grid.job is None and bool(grid.tiles) and grid.cache.pending == 0)
    settle(app, 800)
    wait(app, lambda: grid.cache.pending == 0)
    save(window, out, "evidence-grid-ar")
    controller.set_language("en")
    window = controller.window
    window.resize(*SIZE)
    settle(app)

    bundles = window.show_area("bundles")
    bundles.show_case("OP-7")
    dialog = bundles.open_export()
    dialog.purpose.setCurrentIndex(dialog.purpose.findData("joint-operation"))
    wait(app, lambda: dialog.preview is not None)
    settle(app)
    save(dialog, out, "export-policy")
    dialog.close()

    controller.quit()
    return 0


def _map(app: object, window: object, out: Path, name: str) -> None:
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


if __name__ == "__main__":
    sys.exit(main())
