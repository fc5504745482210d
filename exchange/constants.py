"""Plain values the command line needs before anything heavy is imported (no imports here)."""

PURPOSES = ("mla", "joint-operation", "intelligence")

# Bounds on a bundle read from outside (exchange.checks, exchange.unpack, exchange.prehash).
MAX_FILES = 100_000
MAX_BYTES = 256 << 30
