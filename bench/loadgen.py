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


SCRIPTED = r"""
local items = {ITEMS}
local threads, next_id = {}, 1
function setup(thread)
  thread:set("id", next_id)
  table.insert(threads, thread)
  next_id = next_id + 1
end
function init(args)
  mine, statuses, sent = {}, {}, 0
  for i, it in ipairs(items) do
    -- each thread its own share; with fewer items than threads, every thread all of them
    if #items < THREADS or (i - 1) %% THREADS + 1 == id then
      local headers = {["Content-Type"] = "application/json"}
      if it[3] ~= "" then headers["Authorization"] = "Bearer " .. it[3] end
      local body = nil
      if it[4] ~= "" then body = it[4] end
      mine[#mine + 1] = wrk.format(it[1], it[2], headers, body)
    end
  end
end
function request()
  sent = sent + 1
  return mine[((sent - 1) %% #mine) + 1]
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
done = function(summary, latency, requests)
  local parts = {}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do
      parts[#parts + 1] = string.format("\"%%d\": %%d", code, n)
    end
  end
  io.write(string.format("JSON{\"p50\": %%f, \"p95\": %%f, \"p99\": %%f, " ..
    "\"requests\": %%d, \"seconds\": %%f, \"statuses\": [{%%s}]}\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests, summary.duration / 1e6,
    table.concat(parts, "}, {")))
end
"""


def _lua_string(value: str) -> str:
    level = "=" * 4
    assert f"]{level}]" not in value
    return f"[{level}[{value}]{level}]"


def wrk_requests(base_url: str, items: list[tuple[str, str, str, str]], seconds: float,
                 connections: int = 16, threads: int = 2) -> dict:
    """Drive `items` (method, path, bearer token or "", JSON body or "") round-robin for
    `seconds` with wrk; each wrk thread cycles through its own share of the items.

    Returns requests/s, the count, p50/p95/p99 in ms and the response statuses.
    """  # fmt: skip
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is missing: apt-get install wrk (make bench installs it)")
    rows = ",\n".join(
        "{" + ",".join(_lua_string(part) for part in item) + "}" for item in items
    )
    template = SCRIPTED.replace("THREADS", str(threads)).replace("%%", "%")
    script = template.replace("{ITEMS}", "{\n" + rows + "\n}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as fh:
        fh.write(script)
    duration = max(1, round(seconds))
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s",
             "-s", fh.name, base_url],
            capture_output=True, text=True, check=True, timeout=duration + 120,
        ).stdout  # fmt: skip
    finally:
        Path(fh.name).unlink(missing_ok=True)
    stats = json.loads(re.search(r"JSON(\{.*\})", out).group(1))
    statuses: dict[int, int] = {}
    for part in stats.pop("statuses"):
        for code, n in part.items():
            statuses[int(code)] = statuses.get(int(code), 0) + n
    rps = stats["requests"] / stats["seconds"] if stats["seconds"] else 0.0
    return {"rps": rps, "statuses": statuses, **stats}
