#!/usr/bin/env bash
# Build the self-contained Custos app (one folder) with PyInstaller from the project's venv.
#   bash installer/build.sh        ->  build/dist/custos/custos  (+ custos.desktop, custos.svg)
set -euo pipefail
cd "$(dirname "$0")/.."

DIST=build/dist
WORK=build/work
APP="$DIST/custos"
ICON=resources/icons/custos.svg

# The build ships desktop/i18n/*.qm as they are (it writes nothing into the source tree); say so
# when a translation source is newer than its compiled file.
for ts in desktop/i18n/*.ts; do
    [ -e "$ts" ] || continue
    if [ ! -f "${ts%.ts}.qm" ] || [ "$ts" -nt "${ts%.ts}.qm" ]; then
        echo "warning: ${ts%.ts}.qm is missing or older than $ts;" \
            "run: uv run python -m desktop.i18n.build" >&2
    fi
done

start=$(date +%s)
uv run pyinstaller --noconfirm --clean --log-level WARN installer/custos.spec \
    --distpath "$DIST" --workpath "$WORK"

# Linux desktop entry and icon next to the app (install: see installer/README.md).
cp installer/custos.desktop "$APP/custos.desktop"
if [ -f "$ICON" ]; then
    cp "$ICON" "$APP/custos.svg"
fi

end=$(date +%s)
echo "built $APP/custos in $((end - start)) s; size $(du -sh "$APP" | cut -f1)"
