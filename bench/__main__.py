"""`make bench`: run every benchmark module under bench/ (bench/*_bench.py, bench/*_load.py)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

here = Path(__file__).parent
scripts = sorted([*here.glob("*_bench.py"), *here.glob("*_load.py")])
if not scripts:
    print("Chưa có benchmark nào.")
    sys.exit(0)
for script in scripts:
    print(f"== {script.name}")
    runpy.run_path(str(script), run_name="__main__")
