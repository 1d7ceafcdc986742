"""HTTP load on loopback with wrk (Debian package); p50/p95/p99 from a Lua done() hook."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

LUA = r"""
local paths = {PATHS}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("JSON{\"p50\": %%f, \"p95\": %%f, \"p99\": %%f, \"errors\": %%d, " ..
    "\"non2xx\": %%d}\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, summary.errors.status))
end
"""


def wrk(base_url: str, paths: list[str], seconds: int = 10, connections: int = 8) -> dict:
    """Requests/s and latency percentiles (ms) for cycling through `paths`."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is missing: apt-get install wrk (make bench installs it)")
    lua_paths = "{" + ",".join(json.dumps(p) for p in paths) + "}"
    script = LUA.replace("{PATHS}", lua_paths).replace("%%", "%")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    try:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", fh.name, base_url],
            capture_output=True, text=True, check=True, timeout=seconds + 60,
        ).stdout  # fmt: skip
    finally:
        Path(fh.name).unlink(missing_ok=True)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    stats = json.loads(re.search(r"JSON(\{.*\})", out).group(1))
    return {"rps": rps, **stats}
