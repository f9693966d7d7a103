"""A report is a title and sections; each section holds Markdown text, tables and figures.

The same object renders to ``summary.md`` (text and tables) and to a self-contained
``report.html`` (the same text plus interactive plotly figures, with plotly.js inlined once so the
file opens offline).
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from measurand.io.output import dumps_json, write_output_dir


def _fmt_cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if value != value:  # NaN
            return "–"
        return f"{value:.4g}"
    return _table_safe(str(value))


def _table_safe(text: str) -> str:
    """A cell's text on one line with every pipe escaped, so that no value (a condition name
    with ``|`` or a newline) can split a row or end the table."""
    text = re.sub(r"\r\n|\r|\n", " ↵ ", text)
    return re.sub(r"(?<!\\)\|", r"\\|", text)


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table; floats get 4 significant digits, None/NaN a dash.

    Cells are made table-safe: newlines become ``↵`` and pipes are escaped.
    """
    head = "| " + " | ".join(_table_safe(str(h)) for h in headers) + " |"
    rule = "|" + "|".join("---" for _ in headers) + "|"
    body = ["| " + " | ".join(_fmt_cell(v) for v in row) + " |" for row in rows]
    return "\n".join([head, rule, *body])


# Outside code spans, "<" that could open an HTML tag or comment (a user's "<script>" or
# "<img onerror=...>" in a condition, column, rule or file name) is written as "&lt;": Markdown
# viewers render it as "<" and never as HTML. Inside code spans text is shown literally anyway.
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1(?!`)", re.DOTALL)
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def markdown_safe(text: str) -> str:
    """``text`` with HTML-opening ``<`` escaped outside code spans (see above)."""
    out, last = [], 0
    for match in _CODE_SPAN.finditer(text):
        out.append(_TAG_START.sub("&lt;", text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_TAG_START.sub("&lt;", text[last:]))
    return "".join(out)


def _one_line(text: str) -> str:
    return re.sub(r"\s*[\r\n]+\s*", " ", text)


@dataclass
class Section:
    """One report section: a heading, Markdown blocks, and plotly figures (HTML only)."""

    title: str
    blocks: list[str] = field(default_factory=list)
    figures: list[Any] = field(default_factory=list)  # plotly.graph_objects.Figure

    def add(self, markdown: str) -> Section:
        self.blocks.append(markdown)
        return self

    def figure(self, fig: Any) -> Section:
        self.figures.append(fig)
        return self


@dataclass
class Report:
    title: str
    sections: list[Section] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)

    def section(self, title: str) -> Section:
        sec = Section(title)
        self.sections.append(sec)
        return sec

    def to_markdown(self) -> str:
        """``summary.md``: user strings cannot inject HTML (:func:`markdown_safe`), and
        headings stay on one line."""
        parts = [f"# {_one_line(self.title)}", "", *self.preamble]
        for sec in self.sections:
            parts += ["", f"## {_one_line(sec.title)}", ""]
            parts += [b + "\n" for b in sec.blocks]
        return markdown_safe("\n".join(parts).rstrip() + "\n")

    def to_html(self) -> str:
        import plotly.offline

        body = [f"<h1>{_inline(self.title)}</h1>"]
        body += [_markdown_to_html(b) for b in self.preamble]
        for sec in self.sections:
            body.append(f"<section><h2>{_inline(sec.title)}</h2>")
            for fig in sec.figures:
                body.append(
                    fig.to_html(
                        full_html=False, include_plotlyjs=False, config={"responsive": True}
                    )
                )
            body += [_markdown_to_html(b) for b in sec.blocks]
            body.append("</section>")
        plotly_js = plotly.offline.get_plotlyjs()
        return _PAGE.format(
            title=html.escape(self.title.replace("`", "")),
            plotly_js=plotly_js,
            body="\n".join(body),
        )


REPORT_FILES = {"json": "results.json", "md": "summary.md", "html": "report.html"}


def report_files(
    report: Report, results: dict[str, Any], *, formats: Sequence[str] = ("json", "md", "html")
) -> dict[str, str | bytes]:
    """The content of a standard report folder, by file name, for the chosen formats."""
    unknown = set(formats) - set(REPORT_FILES)
    if unknown:
        from measurand.errors import InputError

        raise InputError(f"unknown format(s) {sorted(unknown)}; choose from json, md, html")
    render = {"json": lambda: dumps_json(results), "md": report.to_markdown, "html": report.to_html}
    return {REPORT_FILES[fmt]: render[fmt]() for fmt in formats}


def write_report(
    out_dir: str | os.PathLike[str],
    report: Report,
    results: dict[str, Any],
    *,
    force: bool = False,
    formats: Sequence[str] = ("json", "md", "html"),
    extra_files: dict[str, str | bytes] | None = None,
) -> dict[str, str]:
    """Write ``results.json``, ``summary.md`` and ``report.html`` into ``out_dir`` in one step.

    Refuses a non-empty ``out_dir`` unless ``force``; returns the written paths by format.
    """
    files = report_files(report, results, formats=formats)
    files.update(extra_files or {})
    write_output_dir(out_dir, files, force=force)
    return {fmt: os.path.join(out_dir, REPORT_FILES[fmt]) for fmt in formats}


# A deliberately small Markdown subset (headings, lists, tables, paragraphs, inline code and
# bold): the summaries are written by our own code, so a full Markdown engine is not needed.
def _inline(text: str) -> str:
    text = html.escape(text)
    # A code span may be fenced by several backticks when its text holds one (``a`b``).
    text = re.sub(r"(`+) ?((?:(?!\1).)+?) ?\1(?!`)", r"<code>\2</code>", text)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)


# A cell that starts like a number, an interval, a percentage or a p-value ("<1e-4"); "–" and
# empty cells say nothing about their column.
_NUMERIC_START = re.compile(r"^[-+−.\d\[<>≤≥∞]")


def _text_columns(rows: list[list[str]]) -> set[int]:
    """Columns whose cells are all text (names, flags, sentences): left-aligned and wrapping;
    the others are numbers, right-aligned and kept on one line."""
    width = max((len(r) for r in rows), default=0)
    text = set()
    for j in range(width):
        cells = [r[j] for r in rows if j < len(r) and r[j] not in ("", "–")]
        if cells and not any(_NUMERIC_START.match(c) for c in cells):
            text.add(j)
    return text


def _html_row(tag: str, cells: list[str], text_columns: set[int]) -> str:
    opened = (f'{tag} class="t"' if j in text_columns else tag for j in range(len(cells)))
    return (
        "<tr>"
        + "".join(f"<{o}>{_inline(c)}</{tag}>" for o, c in zip(opened, cells, strict=True))
        + "</tr>"
    )


def _markdown_to_html(block: str) -> str:
    out: list[str] = []
    lines = block.strip("\n").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                # Cells may hold an escaped pipe (``\\|``), e.g. a signal spec.
                cells = re.split(r"(?<!\\)\|", lines[i].strip().strip("|"))
                rows.append([c.strip().replace("\\|", "|") for c in cells])
                i += 1
            header, *rest = rows
            rest = [r for r in rest if not all(set(c) <= set("-: ") for c in r)]
            text_columns = _text_columns(rest)
            out.append("<table><thead>" + _html_row("th", header, text_columns) + "</thead><tbody>")
            out += [_html_row("td", r, text_columns) for r in rest]
            out.append("</tbody></table>")
            continue
        if line.startswith(("- ", "* ")):
            out.append("<ul>")
            while i < len(lines) and lines[i].startswith(("- ", "* ")):
                out.append(f"<li>{_inline(lines[i][2:])}</li>")
                i += 1
            out.append("</ul>")
            continue
        m = re.match(r"^(#{1,6}) (.*)", line)
        if m:
            level = min(len(m.group(1)) + 1, 6)
            out.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
        elif line.strip():
            out.append(f"<p>{_inline(line)}</p>")
        i += 1
    return "\n".join(out)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px;
       margin: 2rem auto; padding: 0 1rem; color: #1f2328; line-height: 1.45; }}
h1 {{ border-bottom: 2px solid #d0d7de; padding-bottom: .3rem; }}
h2 {{ margin-top: 2.2rem; border-bottom: 1px solid #d0d7de; }}
table {{ border-collapse: collapse; margin: .8rem 0; font-size: .92rem; display: block;
        overflow: auto; max-width: 100%; max-height: 36rem; }}
thead th {{ position: sticky; top: 0; }}
th, td {{ border: 1px solid #d0d7de; padding: .3rem .6rem; text-align: right; }}
td {{ white-space: nowrap; }} td.t {{ white-space: normal; }}
th {{ background: #f6f8fa; }} td:first-child, th:first-child, .t {{ text-align: left; }}
code {{ background: #f6f8fa; padding: 0 .25rem; border-radius: 4px; }}
</style>
<script type="text/javascript">{plotly_js}</script>
</head><body>
{body}
</body></html>
"""
