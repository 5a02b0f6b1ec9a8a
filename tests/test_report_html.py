"""The HTML feasibility report, rendered by a real browser (headless Chromium): the bars are there,
one per GPU, and each part is as wide as its share of the card."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from click.testing import CliRunner
from vllm_lint.cli import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (Debian: apt-get install chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
# Measured by the browser after layout: every bar, its parts and their rendered widths.
MEASURE = """<script>
(function () {
  var out = [];
  document.querySelectorAll('svg.bar').forEach(function (svg) {
    var r = svg.getBoundingClientRect(), parts = [];
    svg.querySelectorAll('rect[data-part]').forEach(function (p) {
      var b = p.getBoundingClientRect();
      parts.push({part: p.dataset.part, bytes: +p.dataset.bytes, x: b.x - r.x, width: b.width, height: b.height});
    });
    var budget = svg.querySelector('line[data-part=budget]').getBoundingClientRect();
    out.push({width: r.width, height: r.height, scale: +svg.dataset.scaleBytes, budget_x: budget.x + budget.width / 2 - r.x,
              launch: svg.closest('section').dataset.launch, parts: parts});
  });
  var pre = document.createElement('pre'); pre.id = 'measure'; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""


PROJECT = """\
services:
  small:   # fits, with room to spare
    image: vllm/vllm-openai:v0.11.0
    command: ["--model", "Qwen/Qwen3-8B", "--max-model-len", "8192"]
    deploy: {resources: {reservations: {devices: [{driver: nvidia, device_ids: ["0"], capabilities: [gpu]}]}}}
  vision:  # tight: most of the card is weights
    image: vllm/vllm-openai:v0.11.0
    command: ["--model", "Qwen/Qwen2.5-VL-7B-Instruct", "--max-model-len", "32768"]
    deploy: {resources: {reservations: {devices: [{driver: nvidia, device_ids: ["1"], capabilities: [gpu]}]}}}
  big:     # does not fit: 32B in bf16 over two 24 GB cards
    image: vllm/vllm-openai:v0.11.0
    command: ["--model", "Qwen/Qwen3-VL-32B-Instruct", "--tensor-parallel-size", "2", "--max-model-len", "32768"]
    deploy: {resources: {reservations: {devices: [{driver: nvidia, device_ids: ["2", "3"], capabilities: [gpu]}]}}}
"""


def report(tmp_path, *args) -> str:
    (tmp_path / "project").mkdir(exist_ok=True)
    (tmp_path / "project" / "compose.yaml").write_text(PROJECT)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", str(tmp_path / "project"), "--offline", "--gpu", "rtx-4090", "--format",
                                       "html", "-o", str(out), *args])
    assert result.exit_code in (0, 1), result.output
    return out.read_text()


def chromium(tmp_path, page: str, *extra) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *extra, page],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})


def test_report_is_self_contained(tmp_path):
    html = report(tmp_path)
    assert "<svg" in html and "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    assert "<script" not in html and "<link" not in html


@needs_chromium
def test_bars_render_sized_by_memory(tmp_path):
    html = report(tmp_path).replace("</body>", MEASURE + "</body>")
    page = tmp_path / "measured.html"
    page.write_text(html)
    done = chromium(tmp_path, page.as_uri(), "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    start = dom.index('<pre id="measure">') + len('<pre id="measure">')
    bars = json.loads(dom[start:dom.index("</pre>", start)].replace("&quot;", '"').replace("&amp;", "&"))
    launches = [b["launch"] for b in bars]
    assert launches == ["small", "vision", "big", "big"]  # one bar per GPU
    for bar in bars:
        assert bar["width"] == pytest.approx(720, abs=1) and bar["height"] > 20
        names = [p["part"] for p in bar["parts"]]
        assert names[0] == "weights"
        if bar["launch"] != "big":
            assert "kv_cache" in names and "free" in names
        x = 0.0
        for part in bar["parts"]:  # stacked left to right, each as wide as its bytes
            assert part["x"] == pytest.approx(x, abs=1.0)
            assert part["width"] == pytest.approx(part["bytes"] / bar["scale"] * bar["width"], abs=1.0)
            x += part["width"]
        assert x == pytest.approx(bar["width"], abs=1.5)
        assert 0 < bar["budget_x"] <= bar["width"] + 1


@needs_chromium
def test_screenshot_shows_the_chart(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(report(tmp_path))
    shot = tmp_path / "shot.png"
    done = chromium(tmp_path, page.as_uri(), f"--screenshot={shot}", "--window-size=1100,1600")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a blank page compresses far below this
