"""Kernel-free interactive figures for the static book: choose σ and C, the curve redraws in the page.

:func:`setting_view` returns one HTML fragment: dropdowns over the settings a profile trained (architecture,
mode, σ, C; only those with more than one value), a line that gives the chosen model's accuracy and ε, and a
plotly chart of its curve beside its SGD baseline. Everything it needs is in the fragment: the data as JSON
and, with ``include_js``, plotly.js itself (about 4.7 MB, once per page), so the page works offline and loads
nothing from the internet. Used by chapters 02 (paper 1 Figs. 3, 7), 08 (paper 2 Fig. 1) and 90 (explorer).
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence

DIMENSIONS = (("arch", "model"), ("mode", "mode"), ("sigma", "σ"), ("clip", "C"))


def plotly_js() -> str:
    """plotly.js inlined in a ``<script>``. A page that loads require.js (jupyter-book's widget support) would
    make plotly register as an AMD module instead of ``window.Plotly``: ``define`` is hidden while it loads."""
    from plotly.offline import get_plotlyjs

    return ("<script>window.__dprobDefine = window.define; window.define = undefined;</script>\n"
            f"<script type=\"text/javascript\">{get_plotlyjs()}</script>\n"
            "<script>window.define = window.__dprobDefine;</script>\n")


def _curve(c: dict) -> dict:
    out = {k: c.get(k) for k in ("arch", "mode", "sigma", "clip", "label", "note")}
    out["x"] = [float(v) for v in c["x"]]
    out["y"] = [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in c["y"]]
    return out


def setting_view(curves: Sequence[dict], *, view_id: str, title: str, x_title: str, y_title: str,
                 y_range: tuple[float, float] = (0, 100), include_js: bool = True) -> str:
    """HTML of an interactive chart over ``curves``: each a dict with ``arch``, ``mode`` (``"sgd"`` for a
    baseline, one per architecture), ``sigma``, ``clip``, ``x``, ``y`` (same length), ``label`` and ``note``
    (the line shown when it is chosen, e.g. its clean accuracy and ε). ``view_id``: unique on the page
    (letters, digits, ``-``, ``_``)."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", view_id):
        raise ValueError(f"view_id must be letters, digits, '-', '_': {view_id!r}")
    data = [_curve(c) for c in curves]
    private = [c for c in data if c["mode"] != "sgd"]
    if not private:
        raise ValueError("setting_view needs at least one private model")
    selects = []
    for key, label in DIMENSIONS:
        values = sorted({c[key] for c in private}, key=lambda v: (isinstance(v, str), v))
        if len(values) < 2:
            continue
        first = private[0][key]
        opts = "".join(f'<option value="{html.escape(json.dumps(v))}"{" selected" if v == first else ""}>'
                       f"{html.escape(f'{v:g}' if isinstance(v, float) else str(v))}</option>" for v in values)
        selects.append(f'<label style="margin-right:1em">{label} <select class="dprob-{key}" '
                       f'data-key="{key}">{opts}</select></label>')
    payload = json.dumps({"curves": data, "first": private[0], "title": title, "x_title": x_title,
                          "y_title": y_title, "y_range": list(y_range)})
    script = f"""<script>(function() {{
  const root = document.getElementById({json.dumps(view_id)});
  const spec = {payload};
  const plot = root.querySelector('.dprob-plot'), summary = root.querySelector('.dprob-summary');
  const selects = Array.from(root.querySelectorAll('select'));
  function chosen() {{
    const want = Object.assign({{}}, spec.first);
    selects.forEach(s => {{ want[s.dataset.key] = JSON.parse(s.value); }});
    return want;
  }}
  function draw() {{
    const want = chosen();
    const match = spec.curves.find(c => c.mode !== 'sgd' && ['arch', 'mode', 'sigma', 'clip'].every(k => c[k] === want[k]));
    const base = spec.curves.find(c => c.mode === 'sgd' && c.arch === want.arch);
    const traces = [];
    if (base) traces.push({{x: base.x, y: base.y, name: base.label, mode: 'lines+markers', line: {{color: '#1f77b4'}}}});
    if (match) traces.push({{x: match.x, y: match.y, name: match.label, mode: 'lines+markers', line: {{color: '#d62728'}}}});
    summary.textContent = match ? match.note : 'this profile did not train that combination: choose another';
    root.dataset.shown = match ? match.label : '';
    Plotly.react(plot, traces, {{title: {{text: spec.title}}, xaxis: {{title: {{text: spec.x_title}}}},
      yaxis: {{title: {{text: spec.y_title}}, range: spec.y_range}}, margin: {{t: 40}}, legend: {{orientation: 'h', y: -0.25}}}},
      {{displayModeBar: false, responsive: true}});
  }}
  selects.forEach(s => s.addEventListener('change', draw));
  draw();
}})();</script>"""
    return ((plotly_js() if include_js else "")
            + f'<div class="dprob-interactive" id="{view_id}">{"".join(selects)}'
            f'<div class="dprob-summary" style="margin:0.4em 0;font-weight:bold"></div>'
            f'<div class="dprob-plot" style="width:100%;height:420px"></div></div>\n' + script)


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f}%"


def _eps(e) -> str:
    return "∞" if e is None or (isinstance(e, float) and math.isinf(e)) else f"{e:.2f}"


def p1_fgsm_curves(res: dict) -> list[dict]:
    """Chapter 02's results (``run_fgsm``) as :func:`setting_view` curves: accuracy (%) under FGSM against ε for
    SGD and every DP model of Figs. 2, 3 and 7."""
    out = []
    for key, m in res["models"].items():
        out.append({"arch": "p1_mnist_cnn", "mode": m["mode"], "sigma": float(m["sigma"]), "clip": float(m["clip"]),
                    "x": res["eps"], "y": m["accuracy"], "label": "SGD" if key == res["sgd_key"] else m["label"],
                    "note": f"{m['label']}: clean accuracy {_pct(m['accuracy'][0])}, privacy ε = {_eps(m['epsilon'])}"})
    for key in res["panels"].get("fig3c", []):  # a fixed-noise setting stored as the DP-SGD model it equals
        m = res["models"][key]
        if m["mode"] != "dpsgd-fixed-noise":
            sigma = float(m["sigma"]) * float(m["clip"])
            label = f"DP-SGD fixed-noise σ={sigma:g} C={m['clip']:g}"
            out.append({"arch": "p1_mnist_cnn", "mode": "dpsgd-fixed-noise", "sigma": sigma, "clip": float(m["clip"]),
                        "x": res["eps"], "y": m["accuracy"], "label": label, "note": f"{label}: the model {m['label']}"})
    return out


def p2_pgd_curves(res: dict) -> list[dict]:
    """Chapter 08's results as :func:`setting_view` curves: PGD success rate (%) against ε per model."""
    out = []
    for m in res["models"].values():
        sgd = m["mode"] == "sgd"
        out.append({"arch": m["arch"], "mode": m["mode"], "sigma": None if sgd else float(m["sigma"]),
                    "clip": None if sgd else float(m["clip"]), "x": m["eps"],
                    "y": [100 * v for v in m["success_vs_eps"]], "label": m["label"],
                    "note": f"{m['arch']} {m['label']}: clean accuracy {_pct(100 * m['accuracy'])}, "
                            f"privacy ε = {_eps(m['epsilon'])}"})
    return out


def explorer_curves(explored: Sequence[dict]) -> list[dict]:
    """Chapter 90's explored settings as :func:`setting_view` curves: accuracy (%) under the attack."""
    out = []
    for r in explored:
        if not out:
            sgd = r["sgd"]
            out.append({"arch": r.get("arch", "p1_mnist_cnn"), "mode": "sgd", "sigma": None, "clip": None,
                        "x": r["eps"], "y": [100 * v for v in sgd["curve"]], "label": sgd["label"], "note": ""})
        dp = r["dp"]
        out.append({"arch": r.get("arch", "p1_mnist_cnn"), "mode": r["mode"], "sigma": float(r["sigma"]),
                    "clip": float(r["clip"]), "x": r["eps"], "y": [100 * v for v in dp["curve"]],
                    "label": dp["label"], "note": f"{dp['label']}: clean accuracy {100 * dp['accuracy']:.1f}% "
                                                  f"(SGD {100 * r['sgd']['accuracy']:.1f}%), privacy ε = "
                                                  f"{_eps(dp['epsilon'])}"})
    return out
