"""A report as data (sections of blocks), and its two serialisers: text and Markdown.

The report is built once (:mod:`legrules.report.assessment` builds it from an Assessment); the
text and the Markdown are two ways to write the same blocks, so the two reports cannot
drift apart. A serialiser decides only how a block looks: colour roles and wrapping to
the terminal for text, headings, emphasis and tables for Markdown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from legrules.text import WIDTH, table, wrap

#: ``style(text, role)``; roles: title, heading, safety, warn, dim, strong.
Style = Callable[[str, str], str]

#: Markdown has no terminal width; a verbatim block is laid out for this many columns.
MARKDOWN_VERBATIM_WIDTH = 100


@dataclass(frozen=True)
class Paragraph:
    """Running text. ``lead`` starts it in bold (``lead: text``); an ``alert`` stands
    out (the safety colour; a bold quote), an ``aside`` stands back (indented; italic)."""

    text: str
    lead: str = ""
    kind: Literal["plain", "alert", "aside"] = "plain"


@dataclass(frozen=True)
class Item:
    """One entry of a list: a head line, then paragraphs, points under it and a why.

    ``marker`` is the text report's bullet (``!`` for safety, none for a plain note);
    ``role`` the colour of the head line; ``bold`` sets the head in bold in Markdown,
    where the first paragraph follows the head on its line.
    """

    head: str
    marker: str = "*"
    role: str = ""
    bold: bool = False
    suffix: str = ""
    body: tuple[str, ...] = ()
    points: tuple[str, ...] = ()
    why: str = ""


@dataclass(frozen=True)
class Items:
    """A list. In text, bullets stand at ``indent`` and everything else at ``hang``."""

    items: tuple[Item, ...]
    indent: str = ""
    hang: str = "    "


@dataclass(frozen=True)
class Table:
    """Rows of cells, the first the header. In text, the ``fixed`` leading columns keep
    their widths and the others share the rest of the line in proportion to ``shares``
    (no column wider than its longest cell while another wraps: see ``_widths``);
    ``spaced`` sets wrapped rows apart by a blank line."""

    rows: tuple[tuple[str, ...], ...]
    fixed: tuple[int, ...]
    shares: tuple[int, ...]
    spaced: bool = True


@dataclass(frozen=True)
class Verbatim:
    """Lines laid out by their writer (for a width), printed as they are."""

    lines: Callable[[int], list[str]]


@dataclass(frozen=True)
class Part:
    """A titled group of blocks inside a section (a day of the plan)."""

    title: str
    blocks: tuple[Block, ...]


Block = Paragraph | Items | Table | Verbatim | Part


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Footer:
    """The small print: a disclaimer, a hint for the command line (a Markdown report is
    a document to keep, so it has none), and the rules that decided."""

    disclaimer: str
    hint: str
    rules: tuple[str, str, str]  # name, version, fingerprint


@dataclass(frozen=True)
class Document:
    title: str
    sections: tuple[Section, ...]
    footer: Footer


def _plain(text: str, role: str) -> str:
    return text


def _flat(text: str) -> str:
    return " ".join(text.split())


def to_text(document: Document, style: Style | None = None, width: int = WIDTH) -> str:
    """The document as plain text ``width`` columns wide; colour only through ``style``."""
    paint = style or _plain
    out = [paint(document.title, "title"), paint("=" * len(document.title), "title")]
    for section in document.sections:
        out += ["", paint(section.heading, "heading"), paint("-" * len(section.heading), "heading")]
        out += _text_blocks(section.blocks, paint, width)
    footer = document.footer
    out.append("")
    out += [paint(line, "dim") for line in wrap(footer.disclaimer, width=width)]
    if footer.hint:
        out.append(paint(footer.hint, "dim"))
    name, version, fingerprint = footer.rules
    out.append(paint(f"Rules: {name} {version} ({fingerprint[:19]}...)", "dim"))
    return "\n".join(out).rstrip() + "\n"


def _text_blocks(blocks: tuple[Block, ...], paint: Style, width: int) -> list[str]:
    out: list[str] = []
    for number, block in enumerate(blocks):
        if number:
            out.append("")
        out += _text_block(block, paint, width)
    return out


def _text_block(block: Block, paint: Style, width: int) -> list[str]:
    if isinstance(block, Paragraph):
        text = f"{block.lead}: {block.text}" if block.lead else block.text
        if block.kind == "aside":
            return wrap(text, "  ", width)
        lines = wrap(text, width=width)
        return [paint(line, "safety") for line in lines] if block.kind == "alert" else lines
    if isinstance(block, Items):
        return [line for item in block.items for line in _text_item(item, block, paint, width)]
    if isinstance(block, Table):
        widths = _widths(block, width, indent=2)
        return table(block.rows, widths, indent="  ", underline=True, spaced=block.spaced)
    if isinstance(block, Verbatim):
        return block.lines(width)
    title = [paint(line, "strong") for line in wrap(block.title, "  ", width, first="")]
    return [*title, *_text_blocks(block.blocks, paint, width)]


def _text_item(item: Item, items: Items, paint: Style, width: int) -> list[str]:
    hang = items.hang
    first = items.indent + (f"{item.marker} " if item.marker else "")
    head = wrap(item.head + item.suffix, hang, width, first=first)
    out = [paint(line, item.role) for line in head] if item.role else head
    for paragraph in item.body:
        out += wrap(paragraph, hang, width)
    for point in item.points:
        out += wrap(point, hang + "  ", width, first=hang + "- ")
    if item.why:
        out += wrap(f"Why: {item.why}", hang, width)
    return out


def _widths(block: Table, width: int, indent: int) -> list[int]:
    """Column widths: ``fixed`` as given, the rest shared; a shared column whose
    longest cell is narrower than its share gives what it does not need to the last
    column (short cues leave the room to the why, rather than wrapping it), and what the
    last does not need goes to an earlier column that would wrap (a long exercise name)."""
    columns = len(block.fixed) + len(block.shares)
    free = max(36, width - indent - sum(block.fixed) - 2 * (columns - 1))
    total = sum(block.shares)
    shared = [free * share // total for share in block.shares[:-1]]
    widths = [*block.fixed, *shared, free - sum(shared)]
    longest = [max(len(row[column]) for row in block.rows) for column in range(columns)]
    for column in range(len(block.fixed), columns - 1):
        if longest[column] < widths[column]:
            widths[-1] += widths[column] - longest[column]
            widths[column] = longest[column]
    # room the last column does not need goes to a column it keeps from wrapping
    for column in range(columns - 1):
        spare = widths[-1] - longest[-1]
        if spare <= 0:
            break
        need = longest[column] - widths[column]
        if 0 < need <= spare:
            widths[column] += need
            widths[-1] -= need
    return widths


def to_markdown(document: Document) -> str:
    """The document as Markdown: headings, lists, tables; verbatim lines in a code block."""
    out = [f"# {document.title}", ""]
    for section in document.sections:
        out += [f"## {section.heading}", ""]
        out += _markdown_blocks(section.blocks)
    footer = document.footer
    name, version, fingerprint = footer.rules
    out += [f"*{_flat(footer.disclaimer)}*", "", f"Rules: `{name}` {version} (`{fingerprint}`)"]
    return "\n".join(out).rstrip() + "\n"


def _markdown_blocks(blocks: tuple[Block, ...]) -> list[str]:
    return [line for block in blocks for line in _markdown_block(block)]


def _markdown_block(block: Block) -> list[str]:
    """The block's lines and the blank line that ends it."""
    if isinstance(block, Part):
        return [f"### {block.title}", "", *_markdown_blocks(block.blocks)]
    if isinstance(block, Paragraph):
        text = _flat(block.text)
        if block.kind == "alert":
            return [f"> **{text}**", ""]
        if block.kind == "aside":
            return [f"*{text}*", ""]
        return [f"**{block.lead}**: {text}" if block.lead else text, ""]
    if isinstance(block, Items):
        return [*(line for item in block.items for line in _markdown_item(item)), ""]
    if isinstance(block, Table):
        header, *rows = block.rows
        return [
            "| " + " | ".join(header) + " |",
            "|" + "|".join("---" for _ in header) + "|",
            *("| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows),
            "",
        ]
    return ["```text", *block.lines(MARKDOWN_VERBATIM_WIDTH), "```", ""]


def _markdown_item(item: Item) -> list[str]:
    head = f"**{item.head}**" if item.bold else _flat(item.head)
    body = [_flat(paragraph) for paragraph in item.body]
    line = f"- {head}{item.suffix}" + (f": {body.pop(0)}" if body else "")
    out = [line, *(f"  {paragraph}" for paragraph in body)]
    out += [f"  - {point}" for point in item.points]
    if item.why:
        out.append(f"  *Why:* {item.why}")
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
