"""Multi-word queries only, on an index already built by search_bench (bench/.work).

`.venv/bin/python -m bench.search_multiword [N]` — a quick before/after check of ranking
changes without rebuilding the 100,000-record index (which takes minutes).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import queries  # noqa: E402
from bench.search_bench import _params, make_app, percentile  # noqa: E402


def main() -> None:
    from hoctap_learn import search

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    app, _ = make_app(n)
    mix = [q for q in queries() if q["kind"] == "multi"]
    with app.app_context():
        for q in mix:
            search.search(_params(q))
        times = []
        for q in mix:
            started = time.perf_counter()
            search.search(_params(q))
            times.append((time.perf_counter() - started) * 1000)
    print(f"N={n} multi-word n={len(times)} p50={statistics.median(times):.1f} ms "
          f"p95={percentile(times, 95):.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
