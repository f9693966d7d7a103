"""One matplotlib style for every paper figure measurand writes (``--pdf``).

Fonts are embedded as TrueType (``pdf.fonttype = 42``, which journals and arXiv accept and which
keeps text editable), the palette is Okabe & Ito's colour-blind-safe set (Okabe & Ito 2008,
*Color Universal Design*), and widths fit a two-column paper: a single column is 3.25 in, the full
text width 6.75 in. matplotlib is imported only when a PDF is drawn, so reports without ``--pdf``
never load it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

from measurand.io.output import write_atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Okabe–Ito colours, in the order series take them.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)

#: Figure widths in inches for a two-column paper.
WIDTHS: dict[str, float] = {"single": 3.25, "double": 6.75}

STYLE: dict[str, Any] = {
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "font.family": "sans-serif",
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.2,
    "lines.markersize": 3,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,
    "figure.dpi": 150,
    # A fixed creation date keeps the PDF bytes identical for identical data.
    "pdf.compression": 6,
}


@contextmanager
def paper_style() -> Iterator[None]:
    """Draw inside ``with paper_style():`` to get the shared style and palette (Agg backend)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from cycler import cycler

    with plt.rc_context({**STYLE, "axes.prop_cycle": cycler(color=list(PALETTE))}):
        yield


def new_figure(
    width: Literal["single", "double"] = "single",
    height: float | None = None,
    *,
    nrows: int = 1,
    ncols: int = 1,
    **subplot_kw: Any,
) -> tuple[Figure, Any]:
    """``(fig, axes)`` sized for the paper; call inside :func:`paper_style`.

    ``height`` defaults to 0.75 × the width (single) or 0.4 × (double), per row.
    """
    import matplotlib.pyplot as plt

    w = WIDTHS[width]
    if height is None:
        height = (0.75 if width == "single" else 0.4) * w * nrows
    fig, axes = plt.subplots(nrows, ncols, figsize=(w, height), squeeze=False, **subplot_kw)
    return fig, (axes[0, 0] if nrows == ncols == 1 else axes)


def pdf_bytes(fig: Figure) -> bytes:
    """The figure as PDF bytes with a fixed creation date (same data → same bytes); closes it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="pdf", metadata={"CreationDate": None, "Producer": "measurand"})
    finally:
        plt.close(fig)
    return buf.getvalue()


def save_pdf(fig: Figure, path: str | os.PathLike[str]) -> None:
    """Write the figure to ``path`` atomically (see :func:`pdf_bytes`)."""
    write_atomic(path, pdf_bytes(fig))
