"""``generate --import`` of ever larger configs, and the refusal of one too large to be a config.

Each sample is a fresh interpreter running ``ejabberd-wizard generate --import`` into a
new directory, as a user runs it. The configs are the Arch guide's with an ACL of 500
to 8,000 accounts (about 20 to 250 kB); the times are reported as ratios to the
smallest within this run, next to the ratio of their sizes: the file is parsed once, so
the time should grow no faster than the file. The huge config is some 99,000 nodes in
200 kB (tests/test_import_size.py), refused after the first 20,000: its time is
reported against the smallest import's.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.test_import_size import huge_config, large_config

CONSOLE_SCRIPT = Path(sys.executable).with_name("ejabberd-wizard")
ACCOUNTS = (500, 1000, 2000, 4000, 8000)


def _sample(config: Path, scratch: Path, expected: int) -> float:
    out = Path(tempfile.mkdtemp(dir=scratch))
    answers = out / "answers.yml"
    answers.write_text("preset: arch\ninstall:\n  user: isabell\n  home: /home/isabell\n")
    started = time.perf_counter()
    result = subprocess.run([str(CONSOLE_SCRIPT), "generate", "--out", str(out / "deploy"), "--answers", str(answers),
                             "--import", str(config), "--yes"], capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - started
    if result.returncode != expected:
        raise RuntimeError(f"{config.name}: exit {result.returncode}, expected {expected}: {result.stderr.strip()}")
    return elapsed


def run(samples: int = 3) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        configs = {}
        for accounts in ACCOUNTS:
            configs[accounts] = scratch / f"accounts-{accounts}.yml"
            configs[accounts].write_text(large_config(accounts))
        huge = scratch / "huge.yml"
        huge.write_text(huge_config())
        _sample(configs[ACCOUNTS[0]], scratch, 0)  # warm the caches
        times: dict[int, list[float]] = {accounts: [] for accounts in ACCOUNTS}
        refused = []
        for _ in range(samples):  # interleaved, so machine noise hits all alike
            for accounts, config in configs.items():
                times[accounts].append(_sample(config, scratch, 0))
            refused.append(_sample(huge, scratch, 2))
        sizes = {accounts: config.stat().st_size for accounts, config in configs.items()}
        huge_size = huge.stat().st_size
    smallest = ACCOUNTS[0]
    base = statistics.median(times[smallest])
    result: dict[str, Any] = {f"{smallest} accounts, {sizes[smallest] // 1000} kB (s)": round(base, 3)}
    for accounts in ACCOUNTS[1:]:
        result[f"{accounts} accounts: size ratio"] = round(sizes[accounts] / sizes[smallest], 2)
        result[f"{accounts} accounts: time ratio"] = round(statistics.median(times[accounts]) / base, 2)
    result[f"huge, {huge_size // 1000} kB, refused: time ratio"] = round(statistics.median(refused) / base, 2)
    return result


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:<40} {value}")
