"""Paragraph wrapping shared by every text report (assessments, rule and question docs).

One definition so reports agree: whitespace collapsed, no breaks at hyphens (exercise
names like "heel-elevated" stay whole), and an empty paragraph still yields a line.
"""

from __future__ import annotations

import textwrap

WIDTH = 88


def wrap(text: str, indent: str = "", width: int = WIDTH, first: str | None = None) -> list[str]:
    """``text`` as lines of at most ``width``, indented; ``first`` replaces the indent of
    the first line (for bullets and numbers)."""
    return textwrap.wrap(
        " ".join(text.split()),
        width=width,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_on_hyphens=False,
    ) or [indent.rstrip()]
