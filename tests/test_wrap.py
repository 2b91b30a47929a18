"""The one text layout: paragraphs (wrap) and tables, as every text report uses them."""

from __future__ import annotations

from legrules.text import table, wrap


def test_wrap_keeps_hyphenated_ids_whole_and_collapses_whitespace() -> None:
    text = "rules:  glute-dominance v1,\n  lowback-compensation-in-hinges v1, one-leg-dominates v1"
    assert wrap(text, "    ", 40, first="  ") == [
        "  rules: glute-dominance v1,",
        "    lowback-compensation-in-hinges v1,",
        "    one-leg-dominates v1",
    ]


def test_wrap_can_keep_columns_a_caller_lined_up() -> None:
    assert wrap("1. prompt     answer", collapse=False) == ["1. prompt     answer"]
    assert wrap("1. prompt     answer") == ["1. prompt answer"]


def test_an_empty_paragraph_is_still_a_line() -> None:
    assert wrap("", "    ") == [""]


def test_table_fits_columns_to_their_cells_and_never_pads_the_last() -> None:
    rows = [["ID", "TITLE"], ["glute-dominance", "Glutes take over"], ["x", "y"]]
    assert table(rows) == [
        "ID               TITLE",
        "glute-dominance  Glutes take over",
        "x                y",
    ]


def test_table_with_widths_wraps_cells_and_spaces_the_rows() -> None:
    rows = [["Exercise", "Why"], ["Leg curls", "hamstrings lag behind quads"], ["Squat", "base"]]
    assert table(rows, [9, 12], indent="  ", underline=True) == [
        "  Exercise   Why",
        "  ---------  ------------",
        "  Leg curls  hamstrings",
        "             lag behind",
        "             quads",
        "",
        "  Squat      base",
    ]
