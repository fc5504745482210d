#!/usr/bin/env bash
# CI: build the self-contained app and smoke-test the result (about 1-2 min build + 25 s smoke
# here; see installer/README.md). Called from .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

t0=$(date +%s)
echo "== installer: build"
bash installer/build.sh
t1=$(date +%s)
echo "== installer: smoke test"
bash installer/smoke.sh build/dist/custos/custos
t2=$(date +%s)
echo "installer: build $((t1 - t0)) s, smoke $((t2 - t1)) s, size $(du -sh build/dist/custos | cut -f1)"
