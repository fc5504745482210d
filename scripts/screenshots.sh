#!/usr/bin/env bash
# Refresh the README screenshots: the real app under Xvfb (xcb platform), driven by
# scripts/screenshots.py on a demo vault built from ../shared/faces.
set -euo pipefail
cd "$(dirname "$0")/.."
unset QT_QPA_PLATFORM
export QT_QPA_PLATFORM=xcb
exec xvfb-run -a -s "-screen 0 1400x900x24" uv run python scripts/screenshots.py "$@"
