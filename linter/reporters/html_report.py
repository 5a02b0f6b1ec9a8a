"""The VRAM feasibility report as one self-contained HTML page (inline CSS and SVG, no script, nothing
fetched at view time): per launch and per GPU a stacked bar of weights, activations, CUDA graphs,
other memory, KV cache and free memory against the budget and the card, then the KV capacity, the
concurrency and the verdict."""
from __future__ import annotations

import html

from vllm_lint.memory.text import GiB, model_label
from vllm_lint.reporters.vram_table import verdict

BAR_WIDTH = 720  # px for the largest quantity on the bar (the card, or what is asked when more)
BAR_HEIGHT = 28
PARTS = (  # (key, label, colour)
    ("weights", "weights", "#4c72b0"),
    ("activation", "activations", "#dd8452"),
    ("cuda_graph", "CUDA graphs", "#8172b3"),
    ("other", "other (non-torch, CUDA context)", "#937860"),
    ("kv_cache", "KV cache", "#55a868"),
    ("free", "free", "#e8e8e8"),
)
_COLOUR = {key: colour for key, _, colour in PARTS}
_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:980px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 4px}
.sub{color:#666;margin:0 0 8px}.verdict{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600}
.fits{background:#dff3e3;color:#1e6b32}.fails{background:#fbe1e1;color:#9b1c1c}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
table{border-collapse:collapse;margin:8px 0}td,th{padding:2px 10px 2px 0;text-align:right}th:first-child,td:first-child{text-align:left}
.skipped{color:#666}.gpu{margin:6px 0}.gpu .name{font-weight:600}
"""


def render_html(feasibilities, title: str = "vLLM VRAM feasibility") -> str:
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{html.escape(title)}</title>", f"<style>{_STYLE}</style></head><body>",
           f"<h1>{html.escape(title)}</h1>",
           '<p class="sub">Estimated before deployment, the way vLLM budgets memory at start-up. '
           "Weights are exact when the checkpoint's sizes are known; activations, CUDA graphs and other memory "
           "are rules of thumb.</p>", _legend()]
    skipped = []
    for f in feasibilities:
        if f.estimate is None:
            skipped.append(f)
            continue
        out.append(_launch(f))
    if skipped:
        out.append("<h2>Launches without an estimate</h2><ul>")
        for f in skipped:
            d = f.deployment
            out.append(f'<li class="skipped">{html.escape(f"{d.path}:{d.span.line} {d.name}")}: {html.escape(f.reason or "")}</li>')
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _legend() -> str:
    items = "".join(f'<span><i style="background:{c}"></i>{html.escape(label)}</span>' for _, label, c in PARTS)
    return (f'<p class="legend">{items}<span>┆ budget (memory × --gpu-memory-utilization)</span>'
            '<span style="color:#c00">┃ end of the card, when more is asked than it has</span></p>')


def _launch(f) -> str:
    d, est = f.deployment, f.estimate
    v = verdict(est)
    badge = f'<span class="verdict {"fits" if v == "fits" else "fails"}">{html.escape(v)}</span>'
    parts = [f'<section class="launch" data-launch="{html.escape(d.name)}">',
             f"<h2>{html.escape(d.name)} {badge}</h2>",
             f'<p class="sub">{html.escape(f"{d.path}:{d.span.line}")} · <code>{html.escape(model_label(est))}</code> · vLLM '
             f"{html.escape(est.version)} · tensor parallel {est.launch.tensor_parallel} · max-model-len "
             f"{est.max_model_len:,}</p>"]
    for i, g in enumerate(est.gpus):
        parts.append(_gpu_bar(g, i))
    worst = min(est.gpus, key=lambda g: g.kv_cache.bytes)
    need = (f"{est.gpu_memory_utilization_needed}" if est.gpu_memory_utilization_needed else "none is enough")
    parts.append("<table>"
                 f"<tr><th>KV cache per GPU</th><td>{worst.kv_cache.bytes / GiB:.2f} GiB</td></tr>"
                 f"<tr><th>KV capacity</th><td>{est.kv_cache_tokens:,} tokens</td></tr>"
                 f"<tr><th>Maximum concurrency at {est.max_model_len:,} tokens</th><td>{est.max_concurrency:.2f}x</td></tr>"
                 f"<tr><th>Largest --max-model-len that fits</th><td>{est.max_model_len_that_fits:,}</td></tr>"
                 f"<tr><th>--gpu-memory-utilization needed</th><td>{html.escape(need)}</td></tr>"
                 f"<tr><th>Uncertainty on the KV cache</th><td>±{est.uncertainty:.0%}</td></tr>"
                 "</table>")
    for note in est.notes:
        parts.append(f'<p class="sub">{html.escape(note)}</p>')
    parts.append("</section>")
    return "\n".join(parts)


def bar_parts(g) -> list[tuple[str, float]]:
    """(part, bytes) along the bar, left to right; the parts add up to what the GPU holds, then free."""
    graphs = g.cuda_graph.bytes
    other = g.other.bytes + (g.outside_budget.bytes - (0 if g.graphs_in_budget else graphs))
    used = [("weights", g.weights.bytes), ("activation", g.activation.bytes), ("cuda_graph", graphs),
            ("other", max(other, 0.0)), ("kv_cache", g.kv_cache.bytes)]
    total = sum(b for _, b in used)
    return used + [("free", max(g.gpu.memory_bytes - total, 0.0))]


def _gpu_bar(g, index: int) -> str:
    parts = bar_parts(g)
    scale = max(g.gpu.memory_bytes, sum(b for _, b in parts))
    x = 0.0
    rects = []
    for key, value in parts:
        width = value / scale * BAR_WIDTH
        if width <= 0:
            continue
        rects.append(f'<rect data-part="{key}" data-bytes="{int(value)}" x="{x:.2f}" y="0" width="{width:.2f}" '
                     f'height="{BAR_HEIGHT}" fill="{_COLOUR[key]}"><title>{key}: {value / GiB:.2f} GiB</title></rect>')
        x += width
    budget_x = g.budget.bytes / scale * BAR_WIDTH
    card_x = g.gpu.memory_bytes / scale * BAR_WIDTH
    rects.append(f'<line data-part="budget" x1="{budget_x:.2f}" x2="{budget_x:.2f}" y1="-4" y2="{BAR_HEIGHT + 4}" '
                 'stroke="#222" stroke-width="2" stroke-dasharray="4 3"/>')
    if card_x < BAR_WIDTH - 0.5:  # asks for more than the card: mark where the card ends
        rects.append(f'<line data-part="card" x1="{card_x:.2f}" x2="{card_x:.2f}" y1="-6" y2="{BAR_HEIGHT + 6}" '
                     'stroke="#c00" stroke-width="3"/>')
    device = g.device if g.device is not None else str(index)
    label = (f"GPU {device} · {g.gpu.name} · {g.gpu.memory_bytes / GiB:.1f} GiB · budget {g.budget.bytes / GiB:.2f} GiB "
             f"· holds {g.total / GiB:.2f} GiB")
    return (f'<div class="gpu"><div class="name">{html.escape(label)}</div>'
            f'<svg class="bar" data-scale-bytes="{int(scale)}" width="{BAR_WIDTH}" height="{BAR_HEIGHT + 12}" '
            f'viewBox="0 -6 {BAR_WIDTH} {BAR_HEIGHT + 12}" role="img" aria-label="{html.escape(label)}">'
            + "".join(rects) + "</svg></div>")
