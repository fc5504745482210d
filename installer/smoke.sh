#!/usr/bin/env bash
# Smoke-test the built app (bash installer/build.sh first):
#   bash installer/smoke.sh [path/to/custos]     (default: build/dist/custos/custos)
# --version; a temporary vault: init, case create, ingest, verify; the frozen vault of format 2
# upgraded to the head revision (the migrations are data files in the bundle); face detection on one photo
# (proves the dlib models and the spawn worker processes work when frozen); a court report in
# Arabic (bundled fonts), checked with openssl; a short clip made from the photo by the bundled
# FFmpeg, redacted (H.264, audio kept, probed by that program); the GUI starts under
# QT_QPA_PLATFORM=offscreen and is still running after 3 s.
# Photo: $CUSTOS_FACES (a .jpg, or a folder holding knn/test/obama1.jpg), else
# ../shared/faces/knn/test/obama1.jpg next to the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

APP=$(realpath "${1:-build/dist/custos/custos}")
[ -x "$APP" ] || { echo "smoke: $APP not found; run bash installer/build.sh" >&2; exit 1; }

PHOTO=""
if [ -n "${CUSTOS_FACES:-}" ]; then
    if [ -f "$CUSTOS_FACES" ]; then PHOTO=$CUSTOS_FACES
    else PHOTO=$CUSTOS_FACES/knn/test/obama1.jpg; fi
else
    PHOTO=$REPO/../shared/faces/knn/test/obama1.jpg
fi
[ -f "$PHOTO" ] || { echo "smoke: no test photo at $PHOTO (set CUSTOS_FACES)" >&2; exit 1; }

TMP=$(mktemp -d)
GUI_PID=""
cleanup() {
    if [ -n "$GUI_PID" ] && kill -0 "$GUI_PID" 2>/dev/null; then kill "$GUI_PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT

# Run from an empty folder with a clean environment, so nothing from the checkout or the venv
# (PYTHONPATH, the repo's packages in the working directory) can stand in for the bundle.
cd "$TMP"
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV
export HOME=$TMP/home XDG_DATA_HOME=$TMP/home/.local/share XDG_CONFIG_HOME=$TMP/home/.config
mkdir -p "$HOME"
export CUSTOS_VAULT=$TMP/vault CUSTOS_USER=a CUSTOS_PASSWORD='smoke-test passphrase 1'

step() { printf '== %s\n' "$*"; }
t0=$(date +%s)

step "custos --version"
version=$("$APP" --version)
echo "$version"
[[ $version == "custos, version "* ]] || { echo "smoke: unexpected --version output" >&2; exit 1; }

step "custos init"
"$APP" init --admin a --recovery-identity-out "$TMP/recovery.txt"
[ -s "$TMP/recovery.txt" ]

step "custos case create"
"$APP" case create SMOKE-1 --title "Installer smoke test"

step "custos ingest"
printf 'smoke test evidence\n' > "$TMP/note.txt"
cp "$PHOTO" "$TMP/photo.jpg"
"$APP" ingest --case SMOKE-1 --exhibit EX-1 "$TMP/note.txt" "$TMP/photo.jpg"

step "custos faces detect (dlib models, worker processes)"
out=$("$APP" faces detect --case SMOKE-1 2>&1) || { echo "$out"; exit 1; }
echo "$out"
if ! grep -Eq '[1-9][0-9]* face\(s\)' <<<"$out"; then
    echo "smoke: no face found in $PHOTO" >&2
    exit 1
fi

step "custos report --lang ar (bundled fonts, ReportLab, Arabic shaping), checked by openssl"
[ -s "$(dirname "$APP")/_internal/fonts/DejaVuSans.ttf" ] || { echo "smoke: no fonts in the bundle" >&2; exit 1; }
"$APP" report --case SMOKE-1 --out "$TMP/report.pdf" --lang ar
openssl pkeyutl -verify -pubin -inkey "$TMP/report.pem" -rawin -in "$TMP/report.pdf" \
    -sigfile "$TMP/report.pdf.sig"
[ -s "$TMP/report.html" ]

step "custos map --basemap (the bundled Natural Earth basemap, its digest checked)"
"$APP" map --basemap | grep -q "basemap: Natural Earth 5.1.1"
"$APP" map --case SMOKE-1 --json >/dev/null

step "custos redact of a video (the bundled FFmpeg program, its digest checked; H.264, audio kept)"
FF=$(ls "$(dirname "$APP")"/_internal/imageio_ffmpeg/binaries/ffmpeg-* 2>/dev/null | head -1)
[ -x "$FF" ] || { echo "smoke: no executable FFmpeg program in the bundle" >&2; exit 1; }
encoders=$("$FF" -hide_banner -encoders 2>/dev/null)
grep -q ' libx264 ' <<<"$encoders" || { echo "smoke: the bundled FFmpeg has no libx264" >&2; exit 1; }
# a 2 s clip of the photo with a tone, made by that program, analysed and redacted by the app
"$FF" -hide_banner -loglevel error -loop 1 -framerate 10 -i "$TMP/photo.jpg" \
    -f lavfi -i "sine=frequency=440" -t 2 -vf "scale=640:-2" -c:v libx264 -pix_fmt yuv420p \
    -c:a aac "$TMP/clip.mp4"
"$APP" ingest --case SMOKE-1 --exhibit EX-2 "$TMP/clip.mp4"
"$APP" faces detect --case SMOKE-1
vid=$("$APP" items list --case SMOKE-1 | awk '$NF ~ /clip\.mp4$/ {print $1}')
[ -n "$vid" ] || { echo "smoke: the clip was not ingested" >&2; exit 1; }
out=$("$APP" redact "$vid" --all --json 2>&1) || { echo "$out"; exit 1; }
echo "$out"
rid=$(sed -n 's/^  "item": \([0-9]*\),$/\1/p' <<<"$out")
[ -n "$rid" ] || { echo "smoke: no redacted copy of the clip" >&2; exit 1; }
"$APP" items export "$rid" --to "$TMP/redacted.mp4" >/dev/null
probe=$("$FF" -hide_banner -i "$TMP/redacted.mp4" 2>&1 || true)
grep -q 'Video: h264' <<<"$probe" || { echo "smoke: the redacted clip is not H.264" >&2; exit 1; }
grep -q 'Audio: aac' <<<"$probe" || { echo "smoke: the redacted clip lost its audio" >&2; exit 1; }

step "custos verify"
"$APP" verify

step "a vault of format 2 is upgraded by the bundled migrations (Alembic reads them as files)"
cp -r "$REPO/tests/vault/data/format2/vault" "$TMP/format2"
CUSTOS_VAULT=$TMP/format2 CUSTOS_USER=alice CUSTOS_PASSWORD='correct horse battery' "$APP" verify
grep -q '^format = 3' "$TMP/format2/vault.toml" || { echo "smoke: format 2 not upgraded" >&2; exit 1; }

step "the desktop's icon fonts (qtawesome) are in the bundle"
ls "$(dirname "$APP")"/_internal/qtawesome/fonts/materialdesignicons6-webfont-*.ttf >/dev/null \
    || { echo "smoke: no qtawesome fonts in the bundle" >&2; exit 1; }

step "custos gui (offscreen, 3 s)"
QT_QPA_PLATFORM=offscreen "$APP" gui --vault "$CUSTOS_VAULT" >"$TMP/gui.log" 2>&1 &
GUI_PID=$!
sleep 3
if ! kill -0 "$GUI_PID" 2>/dev/null; then
    rc=0; wait "$GUI_PID" || rc=$?
    GUI_PID=""
    echo "smoke: the GUI exited within 3 s (exit code $rc):" >&2
    cat "$TMP/gui.log" >&2
    exit 1
fi
kill "$GUI_PID"
wait "$GUI_PID" 2>/dev/null || true
GUI_PID=""
if grep -q 'Traceback' "$TMP/gui.log"; then
    echo "smoke: the GUI logged an error:" >&2
    cat "$TMP/gui.log" >&2
    exit 1
fi
echo "still running after 3 s; stopped"

echo "smoke: all passed in $(( $(date +%s) - t0 )) s"
