"""The CLI reference of the docs site, generated from the typer app (no hand-copied tables).

Walks the click command tree that typer builds from ``measurand.cli.app`` and writes one section
per command: its help, its usage line, its examples and a table of its arguments and options
(names, type, default, help) as the code declares them. The docs build calls
:func:`cli_reference` through ``scripts/mkdocs_hooks.py``; run this file to print the page.
"""

from __future__ import annotations

import re
import sys
from typing import Any

# typer builds its commands on its own copy of click (``typer._click``), so the tree is read by
# duck typing: commands, contexts and parameters through their public click attributes.


def _root() -> Any:
    import typer.main

    from measurand.cli import app

    return typer.main.get_command(app)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _help_markdown(text: str) -> str:
    """Click help: plain paragraphs stay prose; ``\\b`` paragraphs (examples, lists) become
    code blocks, as the terminal shows them verbatim."""
    out = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        if paragraph.lstrip().startswith("\b"):
            lines = paragraph.replace("\b", "").strip("\n").splitlines()
            heading = lines[0].strip() if lines and lines[0].rstrip().endswith(":") else None
            body = lines[1:] if heading else lines
            indent = min((len(x) - len(x.lstrip()) for x in body if x.strip()), default=0)
            if heading:
                out.append(f"**{heading}**")
            out.append("```text\n" + "\n".join(x[indent:] for x in body) + "\n```")
        else:
            out.append(" ".join(paragraph.split()).replace("\\[", "["))
    return "\n\n".join(out)


def _is_argument(param: Any) -> bool:
    return param.param_type_name == "argument"


_TYPE_NAMES = {"bool": "flag", "int": "integer", "float": "number", "str": "text", "Path": "path"}


def _type_name(param: Any) -> str:
    if getattr(param, "is_flag", False):
        return "flag"
    kind = getattr(param, "type", None)  # a click parameter
    if kind is not None:
        choices = getattr(kind, "choices", None)
        return " | ".join(f"`{c}`" for c in choices) if choices else kind.name.lower()
    annotation = param.type_descriptor.annotation  # a typer parameter
    args = getattr(annotation, "__args__", ())
    many = getattr(annotation, "__origin__", None) in (list, tuple) and args
    base = args[0] if many else annotation
    choices = (
        [m.value for m in base] if isinstance(base, type) and hasattr(base, "__members__") else []
    )
    name = (
        " | ".join(f"`{c}`" for c in choices) if choices else getattr(base, "__name__", str(base))
    )
    name = _TYPE_NAMES.get(name, name)
    if param.min is not None or param.max is not None:
        low = "" if param.min is None else f"{param.min} ≤ "
        high = "" if param.max is None else f" ≤ {param.max}"
        name += f" ({low}x{high})"
    return f"{name} …" if many else name


def _default(param: Any) -> str:
    if param.required:
        return "required"
    value: Any = param.default
    if getattr(param, "is_flag", False):
        return "off" if not value else "on"
    if value is None or value == () or value == []:
        return ""
    if callable(value):
        return ""
    return f"`{value}`"


def _params_table(command: Any, ctx: Any) -> str:
    rows = []
    for param in command.get_params(ctx):
        if getattr(param, "hidden", False) or param.name == "help":
            continue
        if _is_argument(param):
            names = f"`{param.metavar or param.name.upper()}`"
            help_text = getattr(param, "help", None) or ""
        else:
            names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
            help_text = param.help or ""
            if param.multiple and "repeat" not in help_text:
                help_text += " (repeatable)"
        rows.append(
            f"| {names} | {_cell(_type_name(param))} | {_cell(_default(param))} | "
            f"{_cell(help_text)} |"
        )
    if not rows:
        return ""
    return "\n".join(["| name | type | default | help |", "|---|---|---|---|", *rows])


def _command_section(name: str, command: Any, parent: Any) -> str:
    ctx = command.context_class(command, info_name=name, parent=parent)
    usage = command.get_usage(ctx).removeprefix("Usage: ").strip()
    parts = [f"## `{ctx.command_path}`", "", f"```text\n{usage}\n```", ""]
    parts += [_help_markdown(command.help or ""), ""]
    table = _params_table(command, ctx)
    if table:
        parts += [table, ""]
    return "\n".join(parts)


def cli_reference() -> str:
    """The Markdown page: the top-level help, then one section per command (sorted)."""
    root = _root()
    ctx = root.context_class(root, info_name="measurand")
    parts = [
        "# Command-line reference",
        "",
        "Generated from the command-line app when the site is built "
        "(`scripts/gen_cli_docs.py`); `measurand COMMAND --help` prints the same.",
        "",
        _help_markdown(root.help or ""),
        "",
    ]
    names = sorted(root.list_commands(ctx))
    parts += [f"- [`measurand {n}`](#measurand-{n})" for n in names]
    parts.append("")
    for name in names:
        command = root.get_command(ctx, name)
        if command is not None and not command.hidden:
            parts.append(_command_section(name, command, ctx))
    return "\n".join(parts).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(cli_reference())
