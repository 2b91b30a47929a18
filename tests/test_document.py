"""The report model's two serialisers, on a document with one block of each kind."""

from __future__ import annotations

from legrules.report.document import (
    Document,
    Footer,
    Item,
    Items,
    Paragraph,
    Part,
    Section,
    Table,
    Verbatim,
    to_markdown,
    to_text,
)

DOCUMENT = Document(
    "Report",
    (
        Section(
            "Safety",
            (
                Paragraph("Stop first.", kind="alert"),
                Items(
                    (Item("Rest", "!", "safety", bold=True, suffix=" (now)", body=("A.", "B.")),)
                ),
            ),
        ),
        Section(
            "Plan",
            (
                Paragraph("Twice a week.", lead="Schedule"),
                Part(
                    "Day 1",
                    (
                        Paragraph("Strength.", kind="aside"),
                        Table((("Exercise", "Why"), ("Squat", "base")), fixed=(8,), shares=(1,)),
                        Items((Item("Note: warm up.", marker=""),), indent="  "),
                    ),
                ),
                Items((Item("Found it", bold=True, points=("you said so",), why="because"),)),
            ),
        ),
        Section("How", (Verbatim(lambda width: [f"laid out for {width}"]),)),
    ),
    Footer("Not advice.", "Add --explain.", ("pack", "1.0", "sha256:" + "0" * 64)),
)


def test_text() -> None:
    assert to_text(DOCUMENT, width=60) == (
        "Report\n======\n\nSafety\n------\nStop first.\n\n! Rest (now)\n    A.\n    B.\n"
        "\nPlan\n----\nSchedule: Twice a week.\n\nDay 1\n  Strength.\n\n"
        "  Exercise  Why\n  --------  " + "-" * 48 + "\n  Squat     base\n\n  Note: warm up.\n"
        "\n* Found it\n    - you said so\n    Why: because\n"
        "\nHow\n---\nlaid out for 60\n"
        "\nNot advice.\nAdd --explain.\nRules: pack 1.0 (sha256:000000000000...)\n"
    )


def test_markdown() -> None:
    assert to_markdown(DOCUMENT) == (
        "# Report\n\n## Safety\n\n> **Stop first.**\n\n- **Rest** (now): A.\n  B.\n\n"
        "## Plan\n\n**Schedule**: Twice a week.\n\n### Day 1\n\n*Strength.*\n\n"
        "| Exercise | Why |\n|---|---|\n| Squat | base |\n\n- Note: warm up.\n\n"
        "- **Found it**\n  - you said so\n  *Why:* because\n\n"
        "## How\n\n```text\nlaid out for 100\n```\n\n"
        "*Not advice.*\n\nRules: `pack` 1.0 (`sha256:" + "0" * 64 + "`)\n"
    )
