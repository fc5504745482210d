"""Start-up of whole CLI commands with and without ``PYTHONDONTWRITEBYTECODE=1``, same run.

    .venv/bin/python benchmarks/bench_startup.py [--runs N]

Container images and some shells set ``PYTHONDONTWRITEBYTECODE=1``. Python then never writes a
``.pyc``, so an environment installed without compiled bytecode recompiles every module it
imports on every command. ``scripts/bootstrap.sh`` compiles the installed packages (``uv sync
--compile-bytecode``) and Custos itself (``compileall``), so the variable should cost nothing:
the anchor is the same command without the variable, and the target is a ratio of about 1.

Each command runs as a user runs it (a fresh ``custos`` process, unlock included), best of N,
the two variants alternating. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_vault import run, timed  # noqa: E402

from service.opener import init_vault  # noqa: E402
from vault.cases import create_case  # noqa: E402

USER = "bench"
PASSWORD = "bench-password-1"
CUSTOS = Path(sys.executable).parent / "custos"
COMMANDS = [
    ["--help"],
    ["case", "list"],
    ["items", "list", "--case", "BENCH-1"],
    ["verify"],
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "vault"
        session, _ = init_vault(folder, USER, PASSWORD)
        create_case(session, "BENCH-1", "benchmark")
        session.close()
        base = {**os.environ, "CUSTOS_USER": USER, "CUSTOS_PASSWORD": PASSWORD}
        base["CUSTOS_VAULT"] = str(folder)
        plain = {k: v for k, v in base.items() if k != "PYTHONDONTWRITEBYTECODE"}
        dont = {**plain, "PYTHONDONTWRITEBYTECODE": "1"}
        print(f"load {os.getloadavg()[0]:.2f}; best of {args.runs}, variants alternating")
        print(f"{'command':<32} {'plain':>8} {'DONTWRITE':>10} {'ratio':>7}")
        for words in COMMANDS:
            cmd = [str(CUSTOS), *words]
            run(cmd, plain)  # the first run of a command reads its files into the page cache
            a: list[float] = []
            b: list[float] = []
            for _ in range(args.runs):
                a.append(timed(functools.partial(run, cmd, plain)))
                b.append(timed(functools.partial(run, cmd, dont)))
            label = "custos " + " ".join(words)
            print(f"{label:<32} {min(a):>7.2f}s {min(b):>9.2f}s {min(b) / min(a):>6.2f}x")


if __name__ == "__main__":
    main()
