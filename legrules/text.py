"""Text layout shared by every text report: paragraphs and tables.

One definition so reports agree: whitespace collapsed, no breaks at hyphens (rule ids
like "glute-dominance" and exercise names like "heel-elevated" stay whole), and an
empty paragraph still yields a line.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

WIDTH = 88


def wrap(
    text: str,
    indent: str = "",
    width: int = WIDTH,
    first: str | None = None,
    *,
    collapse: bool = True,
) -> list[str]:
    """``text`` as lines of at most ``width``, indented; ``first`` replaces the indent of
    the first line (for bullets, numbers and hanging indents). ``collapse=False`` keeps
    runs of spaces inside the text, for columns a caller lined up itself."""
    return textwrap.wrap(
        " ".join(text.split()) if collapse else text,
        width=width,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def table(
    rows: Sequence[Sequence[str]],
    widths: Sequence[int] | None = None,
    *,
    indent: str = "",
    underline: bool = False,
    spaced: bool = True,
) -> list[str]:
    """``rows`` (the first is the header) as left-aligned columns two spaces apart.

    Without ``widths`` each column is as wide as its widest cell (lists of ids and
    titles); with them, cells wrap within their column, and once any row takes more than
    one line, rows are set apart by a blank line so they stay readable. ``underline``
    rules a line under the header; ``spaced=False`` keeps wrapped rows together (a table
    whose first column names every row). Trailing spaces are never written.
    """
    if widths is None:
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        cells = [[[cell] for cell in row] for row in rows]
    else:
        cells = [
            [wrap(cell, width=width) for cell, width in zip(row, widths, strict=True)]
            for row in rows
        ]
    spaced = spaced and any(len(cell) > 1 for row in cells[1:] for cell in row)
    lines: list[str] = []
    for index, row in enumerate(cells):
        if spaced and index > 1:
            lines.append("")
        for line_no in range(max(len(cell) for cell in row)):
            parts = [
                (cell[line_no] if line_no < len(cell) else "").ljust(width)
                for cell, width in zip(row, widths, strict=True)
            ]
            lines.append((indent + "  ".join(parts)).rstrip())
        if index == 0 and underline:
            lines.append((indent + "  ".join("-" * width for width in widths)).rstrip())
    return lines
