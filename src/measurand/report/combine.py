"""One self-contained page from several results folders (``measurand report DIR… --out FILE``).

Every ``report.html`` that measurand writes inlines its own copy of plotly.js (about 4.8 MB). The
combined page keeps the body of each report (its text, tables and figure scripts, whose figure
divs carry unique ids), drops every inlined bundle and inlines plotly.js once, so the page opens
with no network and weighs one bundle plus the figure data. Each analysis gets a table of
contents entry, its headline, and the provenance its ``results.json`` records (command, versions,
seed).
"""

from __future__ import annotations

import html
import os
import platform
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from measurand.errors import InputError

RESULT_FILES = ("results.json", "summary.md", "report.html")

# Sections whose bullets summarise a report, in the order they are looked for.
_HEADLINE_TITLES = ("headline", "summary", "verdict", "verdicts")

_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.S | re.I)
_STYLE = re.compile(r"<style\b[^>]*>.*?</style>", re.S | re.I)
_BODY = re.compile(r"<body\b[^>]*>(.*)</body>", re.S | re.I)
_TITLE = re.compile(r"<title>(.*?)</title>", re.S | re.I)
_HEADING = re.compile(r"<(/?)h([1-6])\b", re.I)
_ID = re.compile(r'\bid="([^"]+)"')
_HREF = re.compile(r'\bhref="#([^"]+)"')
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass
class Analysis:
    """One results folder, read for the combined page."""

    folder: Path
    slug: str
    title: str
    results: dict[str, Any] = field(default_factory=dict)
    summary_md: str = ""
    body: str = ""  # the report's <body>, headings shifted one level down, bundle removed
    styles: list[str] = field(default_factory=list)
    plotly_js: str | None = None

    @property
    def n_figures(self) -> int:
        return self.body.count("plotly-graph-div")


def _is_plotly_bundle(script: str) -> bool:
    # The bundle opens with plotly.js's licence banner; a figure script (which may be as large,
    # holding its data) opens with ``window.PLOTLYENV`` and draws one div.
    head = script[:500]
    return "plotly.js v" in head and "PLOTLYENV" not in head


def is_results_folder(path: Path) -> bool:
    return path.is_dir() and any((path / name).is_file() for name in RESULT_FILES)


def expand_folders(dirs: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The results folders named by ``dirs``: each is one, or holds them one level down (a
    ``measurand demo`` folder); anything else is an input error naming it."""
    found: list[Path] = []
    for d in dirs:
        path = Path(d)
        if not path.exists():
            raise InputError("no such folder", source=str(path))
        if not path.is_dir():
            raise InputError(
                "not a folder; pass a results folder (with results.json)", source=str(path)
            )
        if is_results_folder(path):
            found.append(path)
            continue
        children = sorted(p for p in path.iterdir() if is_results_folder(p))
        if not children:
            raise InputError(
                "not a results folder: it holds none of results.json, summary.md, report.html, "
                "and no sub-folder does",
                source=str(path),
            )
        found += children
    seen: set[Path] = set()
    unique = []
    for path in found:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def _slugify(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "analysis"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _shift_headings(body: str) -> str:
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 1, 6)}", body)


def _prefix_ids(body: str, slug: str) -> str:
    """Prefix the report's own element ids (not plotly's uuids) so that two reports never
    share one, and keep in-page links pointing at them."""

    def rename(name: str) -> str:
        return name if _UUID.match(name) else f"{slug}--{name}"

    body = _ID.sub(lambda m: f'id="{rename(m.group(1))}"', body)
    return _HREF.sub(lambda m: f'href="#{rename(m.group(1))}"', body)


def read_analysis(folder: Path, slug_taken: set[str]) -> Analysis:
    """Read one results folder: results.json, summary.md and the body of report.html."""
    files = {
        name: (folder / name).read_bytes() for name in RESULT_FILES if (folder / name).is_file()
    }
    return analysis_from_files(folder, files, slug_taken)


def _text(content: str | bytes | None) -> str:
    if content is None:
        return ""
    return content if isinstance(content, str) else content.decode("utf-8")


def analysis_from_files(
    folder: Path, files: Mapping[str, str | bytes], slug_taken: set[str]
) -> Analysis:
    """One analysis from a report folder's files (name -> content), read or still in memory."""
    import orjson

    results: dict[str, Any] = {}
    if "results.json" in files:
        try:
            loaded = orjson.loads(files["results.json"])
        except orjson.JSONDecodeError as exc:
            raise InputError(
                f"not valid JSON: {exc}", source=str(folder / "results.json")
            ) from None
        if isinstance(loaded, dict):
            results = loaded
    summary_md = _text(files.get("summary.md"))
    page = _text(files.get("report.html"))

    title = ""
    if summary_md.startswith("# "):
        title = summary_md.splitlines()[0][2:].strip()
    elif (m := _TITLE.search(page)) is not None:
        title = html.unescape(m.group(1)).strip()
    title = title or str(results.get("tool") or folder.name)
    slug = _slugify(folder.name if folder.name not in ("", ".") else title, slug_taken)

    analysis = Analysis(folder=folder, slug=slug, title=title, results=results)
    analysis.summary_md = summary_md
    if page:
        head, _, _ = page.partition("<body")
        analysis.styles = _STYLE.findall(head)
        for script in _SCRIPT.findall(page):
            if _is_plotly_bundle(script):
                analysis.plotly_js = script
                break
        m = _BODY.search(page)
        body = m.group(1) if m else ""
        body = _SCRIPT.sub(lambda s: "" if _is_plotly_bundle(s.group(1)) else s.group(0), body)
        # The report's own title becomes the analysis heading of the combined page.
        body = re.sub(r"^\s*<h1\b[^>]*>.*?</h1>", "", body, count=1, flags=re.S | re.I)
        analysis.body = _anchor_sections(_prefix_ids(_shift_headings(body), slug), slug)
    else:
        from measurand.report.document import _markdown_to_html

        # No report.html (e.g. --format json,md): the summary is the body.
        text = summary_md.split("\n", 1)[1] if summary_md.startswith("# ") else summary_md
        analysis.body = _anchor_sections(_shift_headings(_markdown_to_html(text)), slug)
    return analysis


def _anchor_sections(body: str, slug: str) -> str:
    """Give each section heading (``<h3>`` once shifted) an id, so the contents link to it."""
    taken: set[str] = set()

    def anchor(m: re.Match[str]) -> str:
        text = re.sub(r"<[^>]+>", "", m.group(1))
        return f'<h3 id="{slug}--{_slugify(html.unescape(text), taken)}">{m.group(1)}</h3>'

    return re.sub(r"<h3>(.*?)</h3>", anchor, body, flags=re.S)


def headline_markdown(summary_md: str) -> str:
    """The first section of ``summary.md`` titled Headline/Summary/Verdict, else its first
    paragraph after the title."""
    sections = re.split(r"^## +", summary_md, flags=re.M)
    for title in _HEADLINE_TITLES:
        for sec in sections[1:]:
            heading, _, text = sec.partition("\n")
            if heading.strip().lower() == title:
                return text.strip()
    intro = sections[0].split("\n", 1)[1] if sections[0].startswith("# ") else sections[0]
    paragraphs = [p.strip() for p in intro.split("\n\n") if p.strip()]
    return paragraphs[0] if paragraphs else ""


def provenance(results: Mapping[str, Any]) -> dict[str, Any]:
    """What made a result, as far as its results.json records it: command, versions, seed."""
    prov = results.get("provenance")
    prov = dict(prov) if isinstance(prov, Mapping) else {}
    settings = results.get("settings")
    settings = settings if isinstance(settings, Mapping) else {}
    command = prov.get("command", results.get("command"))
    if isinstance(command, list):
        import shlex

        command = shlex.join(str(c) for c in command)
    versions = prov.get("versions", results.get("versions"))
    versions = dict(versions) if isinstance(versions, Mapping) else {}
    version = results.get("measurand_version")
    if version and "measurand" not in versions:
        versions = {"measurand": version, **versions}
    seed = prov.get("seed", results.get("seed", settings.get("seed")))
    return {
        "tool": results.get("tool"),
        "command": command,
        "versions": versions,
        "seed": seed,
        "source": results.get("source"),
    }


def _environment() -> dict[str, str]:
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for dist in ("measurand", "numpy", "scipy", "polars", "plotly"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _code(text: Any) -> str:
    return f"<code>{html.escape(str(text))}</code>"


def _provenance_html(analysis: Analysis, command: str | None) -> str:
    prov = provenance(analysis.results)
    rows = []
    made_by = prov["command"] or command
    rows.append(
        ("Command", _code(made_by) if made_by else "not recorded in <code>results.json</code>")
    )
    if prov["tool"]:
        rows.append(("Tool", _code(prov["tool"])))
    if prov["versions"]:
        rows.append(
            (
                "Versions",
                ", ".join(f"{_code(k)} {html.escape(str(v))}" for k, v in prov["versions"].items()),
            )
        )
    else:
        rows.append(("Versions", "not recorded in <code>results.json</code>"))
    rows.append(("Seed", _code(prov["seed"]) if prov["seed"] is not None else "not recorded"))
    if prov["source"]:
        rows.append(("Input", _code(prov["source"])))
    rows.append(("Folder", _code(analysis.folder)))
    cells = "".join(f'<tr><th>{k}</th><td class="t">{v}</td></tr>' for k, v in rows)
    return (
        '<details class="prov"><summary>How this was made</summary>'
        f"<table>{cells}</table></details>"
    )


def combined_html(
    analyses: Sequence[Analysis],
    *,
    title: str = "measurand report",
    command: str | None = None,
    combined_by: str | None = None,
) -> str:
    """The combined page: contents, each analysis's headline, then each full report."""
    from measurand.report.document import _inline, _markdown_to_html

    plotly_js = next((a.plotly_js for a in analyses if a.plotly_js), None)
    if plotly_js is None and any(a.n_figures for a in analyses):
        import plotly.offline

        plotly_js = plotly.offline.get_plotlyjs()
    styles: list[str] = []
    for analysis in analyses:
        styles += [s for s in analysis.styles if s not in styles]

    toc = ['<nav class="toc"><h2>Contents</h2><ol>']
    overview = ['<section class="overview"><h2>At a glance</h2>']
    parts = []
    for a in analyses:
        heads = re.findall(r'<h3 id="([^"]+)">(.*?)</h3>', a.body, flags=re.S)
        toc.append(f'<li><a href="#{a.slug}">{_inline(a.title)}</a>')
        if heads:
            links = (f'<a href="#{ident}">{re.sub("<[^>]+>", "", h)}</a>' for ident, h in heads)
            toc.append(f'<span class="sub">{" · ".join(links)}</span>')
        toc.append("</li>")
        headline = headline_markdown(a.summary_md)
        overview.append(f'<h3><a href="#{a.slug}">{_inline(a.title)}</a></h3>')
        if headline:
            overview.append(_markdown_to_html(headline))
        parts.append(
            f'<article id="{a.slug}" class="analysis"><h2>{_inline(a.title)}</h2>'
            f"{_provenance_html(a, command)}{a.body}"
            f'<p class="top"><a href="#top">back to contents</a></p></article>'
        )
    toc.append("</ol></nav>")
    overview.append("</section>")
    env = ", ".join(f"{k} {v}" for k, v in _environment().items())
    footer = f"<footer><p>Combined with {html.escape(env)}"
    if combined_by:
        footer += f" by {_code(combined_by)}"
    footer += ".</p></footer>"
    body = "\n".join([f'<h1 id="top">{_inline(title)}</h1>', *toc, *overview, *parts, footer])
    script = f'<script type="text/javascript">{plotly_js}</script>' if plotly_js else ""
    return _PAGE.format(
        title=html.escape(title), styles="\n".join(styles), script=script, body=body
    )


def combined_html_from_files(
    parts: Mapping[str, Mapping[str, str | bytes]],
    *,
    title: str = "measurand report",
    command: str | None = None,
) -> str:
    """The combined page from report folders still in memory (folder name -> file name ->
    content), so that a caller writing those folders can write the page in the same step."""
    taken: set[str] = {"top"}
    analyses = [analysis_from_files(Path(name), files, taken) for name, files in parts.items()]
    return combined_html(analyses, title=title, command=command)


def write_combined_report(
    dirs: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    force: bool = False,
    title: str = "measurand report",
    command: str | None = None,
    combined_by: str | None = None,
) -> Path:
    """Combine the results folders ``dirs`` into one self-contained HTML page at ``out``.

    ``command`` is shown for analyses whose results.json records none (``measurand demo`` passes
    its own); refuses an existing ``out`` unless ``force``. Returns the written path.
    """
    from measurand.io.output import write_atomic

    out_path = Path(out)
    if out_path.is_dir():
        raise InputError("--out is a folder; give the HTML file to write", source=str(out_path))
    if out_path.exists() and not force:
        raise InputError("output file exists; pass --force to overwrite it", source=str(out_path))
    folders = expand_folders(dirs)
    if (
        out_path.parent.resolve() in {f.resolve() for f in folders}
        and out_path.name in RESULT_FILES
    ):
        raise InputError("--out would overwrite a file of an input folder", source=str(out_path))
    taken: set[str] = {"top"}
    analyses = [read_analysis(folder, taken) for folder in folders]
    page = combined_html(analyses, title=title, command=command, combined_by=combined_by)
    write_atomic(out_path, page)
    return out_path


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
{styles}
<style>
nav.toc ol {{ padding-left: 1.4rem; }} nav.toc li {{ margin: .25rem 0; }}
nav.toc .sub {{ display: block; color: #57606a; font-size: .85rem; }}
nav.toc .sub a {{ color: #57606a; }}
article.analysis {{ border-top: 3px solid #0072B2; margin-top: 3rem; padding-top: .4rem; }}
article.analysis > h2 {{ border-bottom: none; margin-top: .6rem; }}
details.prov {{ background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px;
               padding: .3rem .7rem; margin: .6rem 0; font-size: .9rem; }}
details.prov table {{ display: table; }} details.prov th {{ text-align: left; }}
details.prov td {{ white-space: normal; }}
p.top {{ font-size: .85rem; text-align: right; }}
footer {{ margin-top: 3rem; color: #57606a; font-size: .85rem; border-top: 1px solid #d0d7de; }}
</style>
{script}
</head><body>
{body}
</body></html>
"""

__all__ = [
    "Analysis",
    "analysis_from_files",
    "combined_html",
    "combined_html_from_files",
    "expand_folders",
    "headline_markdown",
    "provenance",
    "read_analysis",
    "write_combined_report",
]
