"""Time the conversion against the libyaml floor on the same bytes; print ratios.

(a) floor: PyYAML's libyaml-backed load + dump of every document of the repo;
(b) ``gateway-migrate convert REPO --out-dir OUT --no-semantic``: comments kept,
    validation (schema + CEL) and findings on.
Each is run REPEAT times, alternating, and the median is kept (shared machines are
noisy). Peak memory is the conversion process's maximum RSS.

Usage: python benchmarks/run.py [N ...]   (default: 1000 10000 20000)
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPEAT = int(os.environ.get("REPEAT", "3"))

FLOOR = """
import glob, sys, yaml
for name in sorted(glob.glob(sys.argv[1] + "/*/*.yaml")):
    with open(name) as handle:
        docs = list(yaml.load_all(handle.read(), Loader=yaml.CSafeLoader))
    yaml.dump_all(docs, Dumper=yaml.CSafeDumper)
"""


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and the child's peak RSS (KiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    return elapsed, max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)


def measure(n: int, work: Path) -> dict:
    repo, out = work / f"repo-{n}", work / f"out-{n}"
    subprocess.run([sys.executable, str(HERE / "generate.py"), str(n), str(repo)], check=True)
    exe = shutil.which("gateway-migrate") or "gateway-migrate"
    floors, converts, peak = [], [], 0
    for _ in range(REPEAT):
        floors.append(timed([sys.executable, "-c", FLOOR, str(repo)])[0])
        shutil.rmtree(out, ignore_errors=True)
        seconds, rss = timed([exe, "convert", str(repo), "--out-dir", str(out), "--no-semantic", "-q"])
        converts.append(seconds)
        peak = max(peak, rss)
    size = sum(p.stat().st_size for p in repo.rglob("*.yaml"))
    return {"n": n, "mb": size / 1e6, "floor": statistics.median(floors), "convert": statistics.median(converts),
            "peak_mib": peak / 1024}


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000, 20000]
    print(f"{'N':>7} {'MB':>6} {'floor s':>8} {'convert s':>10} {'ratio':>6} {'peak MiB':>9} {'s per 1k':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            r = measure(n, Path(tmp))
            print(f"{r['n']:>7} {r['mb']:>6.1f} {r['floor']:>8.2f} {r['convert']:>10.2f} {r['convert'] / r['floor']:>6.2f} "
                  f"{r['peak_mib']:>9.0f} {r['convert'] / n * 1000:>9.2f}", flush=True)


if __name__ == "__main__":
    main()
