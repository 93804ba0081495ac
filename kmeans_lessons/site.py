"""The static course site: every executed lesson as one HTML page, the stepper working on it.

    python -m kmeans_lessons.site notebooks/ --out site/        (what `make site` runs)

Each lesson's stored outputs become a page (nbconvert's HTML exporter, JupyterLab's look), and
``index.html`` lists the lessons. The pages need no Jupyter server, no kernel and no network:
open ``site/index.html`` from disk or serve the folder with any static web server.

Why nbconvert and not Jupyter Book / MyST: the pages are the executed notebooks exactly as
committed (``make test`` keeps them executed), so no second build that runs the code is needed,
and nbconvert is already installed with JupyterLab. Jupyter Book 2 / MyST builds through Node and
fetches its theme at build time, and nbconvert's own widget embedding loads require.js and the
widget manager from a CDN when the page is viewed; both break "nothing downloads". So this
module takes from nbconvert only the page, and shows the widgets itself:

- a stepper (an anywidget, :class:`kmeans_lessons.widgets.StepperView`) keeps its whole run in
  the notebook's saved widget state, with the ES module that draws it. The page gets that state
  as JSON and ``static/site_host.js``, which gives the module a model over the saved state, so
  the slider and Play work exactly as in JupyterLab (settings such as k, which need Python, say
  so instead);
- any other widget cannot run without a kernel; its last drawn output (an Output widget's saved
  outputs, e.g. a figure) is shown with a note saying the controls need Jupyter.

Scripts nbconvert would fetch from a CDN (require.js, MathJax, mermaid, the widget manager) are
left out; formulas show as their LaTeX source.

Taught nowhere: this is how the course is published (see the README).
"""

import argparse
import html
import json
import re
import sys
from pathlib import Path

import nbformat

__all__ = ["build_site", "build_page", "stepper_page", "stepper_holder", "host_script",
           "STEPPER_ID"]

STATIC = Path(__file__).resolve().parent / "static"
#: The ``_anywidget_id`` anywidget gives the stepper's view (module and class name).
STEPPER_ID = "kmeans_lessons.widgets.StepperView"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_MODEL_REF = re.compile(r"^IPY_MODEL_([0-9a-f]+)$")

# The page template: JupyterLab's look (nbconvert's "lab" template) without the blocks that would
# load scripts from a CDN.
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""

_SITE_CSS = """
.site-nav { margin: 12px 0 4px; font: 14px var(--jp-ui-font-family, sans-serif); }
.kmeans-widget-note { color: #555; font-style: italic; margin: 2px 0 6px; }
.kmeans-stepper-static { margin: 4px 0; }
"""


def _json_for_script(value):
    """JSON that can sit inside a <script> element: "</" cannot end it early."""
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def host_script():
    """The <script type="module"> that shows every saved stepper on a page."""
    source = (STATIC / "site_host.js").read_text(encoding="utf-8")
    if "</script" in source.lower():
        raise ValueError("site_host.js must not contain '</script'.")
    return f'<script type="module">\n{source}\n</script>'


def stepper_holder(state):
    """HTML that shows one stepper from its saved model ``state`` (a dict with ``_esm``)."""
    return (f'<div class="kmeans-stepper-static">'
            f'<script type="application/json">{_json_for_script({"state": state})}</script>'
            f'</div>')


def stepper_page(view, title="k-means stepper"):
    """A whole HTML page showing one live :class:`~kmeans_lessons.widgets.StepperView` (its
    current state), for the benchmark and the tests; no notebook involved."""
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<title>{html.escape(title)}</title>{host_script()}</head>'
            f'<body>{stepper_holder(view.get_state())}</body></html>')


# --- the widgets of a notebook --------------------------------------------------------------


def widget_states(nb):
    """``{model_id: {"model_name", "model_module", "state"}}`` saved in the notebook (or {})."""
    saved = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {})
    return dict(saved.get("state", {}))


def _references(value):
    """Model ids a state value points at ("IPY_MODEL_<id>" strings, in lists too)."""
    if isinstance(value, str):
        match = _MODEL_REF.match(value)
        return [match.group(1)] if match else []
    if isinstance(value, (list, tuple)):
        return [ref for item in value for ref in _references(item)]
    return []


def _reachable(model_id, states):
    """The model and every model its state refers to, depth first, each once."""
    order, todo = [], [model_id]
    while todo:
        current = todo.pop(0)
        if current in order or current not in states:
            continue
        order.append(current)
        for value in states[current].get("state", {}).values():
            todo.extend(_references(value))
    return order


def _static_html(model_id, states):
    """What a page shows for the widget output of ``model_id``, or None if it was not saved."""
    models = _reachable(model_id, states)
    if not models:
        return None
    for current in models:
        state = states[current].get("state", {})
        if state.get("_anywidget_id") == STEPPER_ID:
            return stepper_holder(state)
    shown = []
    for current in models:
        if states[current].get("model_name") == "OutputModel":
            shown += [_output_html(o) for o in states[current]["state"].get("outputs", [])]
    note = ('<p class="kmeans-widget-note">An interactive widget: its controls need a running '
            'Jupyter kernel. Open the notebook in Jupyter to use them.'
            + (' Its last picture:' if any(shown) else '') + '</p>')
    return note + "".join(s for s in shown if s)


def _output_html(output):
    """An Output widget's saved output as HTML (pictures and text; others are left out)."""
    data = output.get("data", {})
    if "image/png" in data:
        return f'<img alt="saved output" src="data:image/png;base64,{data["image/png"].strip()}">'
    if output.get("output_type") == "stream":
        return f"<pre>{html.escape(output.get('text', ''))}</pre>"
    if "text/plain" in data:
        return f"<pre>{html.escape(data['text/plain'])}</pre>"
    return ""


def _replace_widget_outputs(nb):
    """Swap every widget view output for the HTML that shows it without a kernel; drop the saved
    state from the metadata (nbconvert would otherwise add its CDN widget scripts).

    Returns the number of steppers on the page.
    """
    states = widget_states(nb)
    steppers = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                continue
            shown = _static_html(view["model_id"], states)
            if shown is None:
                shown = ('<p class="kmeans-widget-note">An interactive widget whose state was '
                         'not saved with the notebook: run the notebook in Jupyter to see it.</p>')
            steppers += "kmeans-stepper-static" in shown
            output["data"] = {"text/html": shown}
    nb.metadata.pop("widgets", None)
    return steppers


# --- pages ------------------------------------------------------------------------------------


def _exporter():
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab", extra_loaders=[DictLoader({"site.j2": _TEMPLATE})],
                        template_file="site.j2")


def lesson_title(nb, fallback):
    """The text of the notebook's first Markdown heading, or ``fallback``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return fallback


def _summary(nb):
    """The first paragraph under the first heading (plain text, for the landing page)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            paragraphs = [p for p in cell.source.split("\n\n")
                          if p.strip() and not p.lstrip().startswith("#")]
            if paragraphs:
                text = re.sub(r"\*\*|[*`]", "", " ".join(paragraphs[0].split()))
                # whole sentences, about two lines' worth
                cut = text.find(". ", 200)
                return text if cut < 0 else text[:cut + 1]
    return ""


def build_page(notebook, out_dir, exporter=None):
    """Write ``<out_dir>/<notebook stem>.html``; return (path, title, summary)."""
    notebook, out_dir = Path(notebook), Path(out_dir)
    nb = nbformat.read(notebook, as_version=4)
    title, summary = lesson_title(nb, notebook.stem), _summary(nb)
    if not any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"):
        raise ValueError(f"{notebook} has no outputs: the site shows executed lessons, so "
                         f"execute it first (the committed lessons are executed).")
    steppers = _replace_widget_outputs(nb)
    nb.metadata["title"] = title
    body, _ = (exporter or _exporter()).from_notebook_node(nb)
    extra = f"<style>{_SITE_CSS}</style>"
    if steppers:
        extra += host_script()
    body = body.replace("</head>", f"{extra}\n</head>", 1)
    body = body.replace("<main>", '<main>\n<nav class="site-nav"><a href="index.html">'
                                  '&larr; all lessons</a></nav>', 1)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{notebook.stem}.html"
    path.write_text(body, encoding="utf-8")
    return path, title, summary


_INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>k-means lessons</title>
<style>
body {{ font: 16px/1.5 "DejaVu Sans", sans-serif; max-width: 52rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; }}
li {{ margin: 0 0 1rem; }} a {{ font-weight: bold; }} p {{ margin: .2rem 0; }}
</style></head>
<body>
<h1>k-means lessons</h1>
<p>The course's notebooks as executed, one page each. The k-means stepper in lesson 03 works
on its page: drag its slider or press play. To run the code and do the exercises, open the
notebooks in Jupyter (<code>make lab</code>).</p>
<ol>
{items}
</ol>
</body></html>
"""


def build_site(notebooks, out_dir):
    """A page for every notebook in ``notebooks`` (a folder or a list of paths), and
    ``index.html`` listing them in order. Returns the list of page paths, index first."""
    if isinstance(notebooks, (str, Path)):
        folder = Path(notebooks)
        notebooks = sorted(p for p in folder.glob("*.ipynb"))
        if not notebooks:
            raise ValueError(f"no notebooks (*.ipynb) in {folder}.")
    out_dir = Path(out_dir)
    exporter = _exporter()
    pages, items = [], []
    for notebook in notebooks:
        path, title, summary = build_page(notebook, out_dir, exporter)
        pages.append(path)
        items.append(f'<li><a href="{html.escape(path.name)}">{html.escape(title)}</a>'
                     f'<p>{html.escape(summary)}</p></li>')
    index = out_dir / "index.html"
    index.write_text(_INDEX.format(items="\n".join(items)), encoding="utf-8")
    return [index, *pages]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="?", default="notebooks",
                        help="folder of executed notebooks (default: notebooks)")
    parser.add_argument("--out", default="site", help="folder for the pages (default: site)")
    args = parser.parse_args(argv)
    pages = build_site(args.notebooks, args.out)
    print(f"wrote {len(pages)} pages to {args.out}/ (open {pages[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
