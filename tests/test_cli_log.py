"""``legrules log summary`` and ``legrules log chart`` end to end (in-process)."""

from __future__ import annotations

import datetime as dt
import json
import struct
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from legrules import Engine
from legrules.cli import cli

LOGS = Path(__file__).parent / "data" / "logs"
AS_OF = ["--as-of", "2024-01-31"]


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["log", *args], input=stdin)


def test_summary_text() -> None:
    result = run("summary", str(LOGS / "strong-units.csv"), *AS_OF)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert out.startswith(f"Training log: {LOGS / 'strong-units.csv'}\n  read as strong CSV")
    for heading in (
        "Lifts (best e1RM a week",
        "Hard sets a week",
        "Leg sessions: 2 in 1 week (2.0 a week), 2 heavy",
    ):
        assert heading in out
    assert "  heavy_sessions = every_session\n" in out
    assert "  hamstring_work = both\n" in out
    assert "ignored, not leg: Bench Press (Barbell) (2)" in out
    # the log was kept in lb, so the report speaks lb
    assert "Squat (Barbell) 226 lb x 5 (5 reps, 5 or fewer)" in out


def test_summary_json_has_every_measurement_with_evidence() -> None:
    result = run("summary", str(LOGS / "hevy-uk.csv"), *AS_OF, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    assert data["log"]["format"] == "hevy"
    assert data["formula"].startswith("Epley: e1RM = weight x (1 + reps / 30)")
    assert data["settings"]["stall_weeks"] == {
        "value": 4,
        "source": "legrules' own choice: the article gives no number",
    }
    answers = {a["question"]: a for a in data["derived"]["answers"]}
    assert answers["heavy_sessions"]["value"] == "every_session"
    assert answers["heavy_sessions"]["evidence"]["dates"] == ["2024-01-15", "2024-01-18"]
    assert {n["question"] for n in data["derived"]["not_derived"]} == {
        "strength_stalled",
        "dominant_leg",
    }
    # per session: squat 2 working + 1 drop set, 1 leg extension; RDLs are not quads
    assert [w["quads"] for w in data["weekly_sets"]] == [8.0]


def test_summary_format_json_equals_json_flag() -> None:
    path = str(LOGS / "legrules.json")
    assert (
        run("summary", path, *AS_OF, "--format", "json").stdout
        == run("summary", path, *AS_OF, "--json").stdout
    )


def test_summary_from_stdin() -> None:
    text = (LOGS / "legrules.csv").read_text(encoding="utf-8")
    result = run("summary", "-", *AS_OF, stdin=text)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Training log: <stdin>\n")


def test_strong_classic_needs_units_exit_2_without_traceback() -> None:
    path = LOGS / "strong-classic.csv"
    result = run("summary", str(path), *AS_OF)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"legrules: unreadable training log in {path}: 1 problem")
    assert "--units kg|lb" in result.stderr
    assert "Traceback" not in result.stderr
    assert run("summary", str(path), *AS_OF, "--units", "kg").exit_code == 0


def test_unreadable_log_exit_2_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("date,exercise,reps,weight,unit\n2024-01-15,Squat,five,100,kg\n", "utf-8")
    result = run("summary", str(path), *AS_OF)
    assert result.exit_code == 2
    assert f"{path}:2: column 'reps' (3): not a number; got 'five'" in result.stderr


def test_missing_file_and_bad_options_exit_2(tmp_path: Path) -> None:
    missing = run("summary", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2
    assert "no such file" in missing.stderr
    bad_date = run("summary", str(LOGS / "legrules.csv"), "--as-of", "31/01/2024")
    assert bad_date.exit_code == 2
    assert "is not a date like 2024-03-31" in bad_date.stderr
    bad_format = run("summary", str(LOGS / "legrules.csv"), "--app", "excel")
    assert bad_format.exit_code == 2


def test_rules_option_reads_the_packs_settings(tmp_path: Path) -> None:
    import shutil

    from legrules.paths import default_rules_dir

    pack = tmp_path / "pack"
    shutil.copytree(default_rules_dir(), pack, ignore=shutil.ignore_patterns("tests"))
    (pack / "training-log.yaml").write_text(
        "settings:\n  heavy_max_reps: {value: 3, source: my coach}\n", encoding="utf-8"
    )
    result = run("summary", str(LOGS / "legrules.csv"), *AS_OF, "--rules", str(pack), "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["settings"]["heavy_max_reps"] == {"value": 3, "source": "my coach"}
    answers = {a["question"]: a["value"] for a in data["derived"]["answers"]}
    assert answers["heavy_sessions"] == "none"  # 5-rep squats are no longer heavy


# ------------------------------------------------------------------ chart


def test_chart_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "chart.png"
    result = run("chart", str(LOGS / "legrules.csv"), *AS_OF, "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"legrules: chart written to {out}\n"
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (1000, 750)


def test_chart_svg_parses_and_names_the_lifts(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "chart.svg"
    result = run("chart", str(LOGS / "hevy-us-lbs.csv"), *AS_OF, "-o", str(out))
    assert result.exit_code == 0, result.stderr
    root = ET.parse(out).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = " ".join(t for e in root.iter() for t in [e.text or ""])
    for name in ("Squat (Barbell)", "Romanian Deadlift (Barbell)", "hamstrings", "(lb)"):
        assert name in texts
    again = tmp_path / "again.svg"
    run("chart", str(LOGS / "hevy-us-lbs.csv"), *AS_OF, "-o", str(again))
    assert again.read_bytes() == out.read_bytes()  # no timestamp: same log, same file


def test_chart_name_must_say_png_or_svg(tmp_path: Path) -> None:
    result = run("chart", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "chart.jpg"))
    assert result.exit_code == 2
    assert "a name ending in .png or .svg" in result.stderr
    assert "missing.csv" not in result.stderr  # checked before the log is read


def test_chart_without_matplotlib_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    result = run("chart", str(LOGS / "legrules.csv"), *AS_OF, "-o", str(tmp_path / "c.png"))
    assert result.exit_code == 2
    assert "pip install 'legrules[plot]'" in result.stderr
    assert not (tmp_path / "c.png").exists()


# ------------------------------------------------------------------ the README's example

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "logs" / "stalled-squat.csv"
README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_worked_example_says_what_the_readme_shows() -> None:
    command = "legrules log summary examples/logs/stalled-squat.csv --as-of 2024-03-20"
    readme = README.read_text(encoding="utf-8")
    assert f"$ {command}\n" in readme
    result = run("summary", str(EXAMPLE), "--as-of", "2024-03-20")
    assert result.exit_code == 0, result.stderr
    shown = readme.split(f"$ {command}\n", 1)[1].split("```", 1)[0]
    out = result.stdout.replace(str(EXAMPLE), "examples/logs/stalled-squat.csv")
    for line in shown.splitlines():
        if "..." not in line:
            assert line in out, line


def test_the_worked_example_fires_the_rules_the_readme_names(engine: Engine) -> None:
    import datetime as dt

    from legrules import read_log
    from legrules.traininglog import derive_answers

    when = dt.date(2024, 3, 20)
    facts = derive_answers(read_log(EXAMPLE, today=when), today=when)
    fired = {
        reason.rule
        for rec in engine.assess(facts.values()).recommendations
        for reason in rec.because
    }
    readme = README.read_text(encoding="utf-8")
    for rule in (
        "heavy-every-session",
        "plateau-structure-not-effort",
        "compound-only-routine-add-isolation",
    ):
        assert rule in fired
        assert f"`{rule}`" in readme


def test_a_log_with_nothing_to_measure(tmp_path: Path) -> None:
    path = tmp_path / "future.csv"
    path.write_text("date,exercise,reps,weight,unit\n2030-01-15,Squat,5,100,kg\n", "utf-8")
    summary = run("summary", str(path), "--as-of", "2024-03-20")
    assert summary.exit_code == 0, summary.stderr
    assert "  0 sets; 1 row skipped (listed below); as of 2024-03-20\n" in summary.stdout
    assert "(they can stand in for these questions)\n  none\n" in summary.stdout
    chart = run("chart", str(path), "--as-of", "2024-03-20", "-o", str(tmp_path / "c.png"))
    assert chart.exit_code == 2
    assert "nothing to draw" in chart.stderr
    assert not (tmp_path / "c.png").exists()


def test_chart_over_its_own_log_is_refused_and_the_log_is_unchanged(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    log_file = tmp_path / "log.svg"  # a CSV log under a chart's name
    log_file.write_bytes((LOGS / "legrules.csv").read_bytes())
    before = log_file.read_bytes()
    result = run("chart", str(log_file), *AS_OF, "-o", str(log_file))
    assert result.exit_code == 2
    assert "refusing to write the chart over it" in result.stderr
    assert log_file.read_bytes() == before


def test_render_chart_refuses_to_draw_over_the_log_it_read(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from legrules.output import OutputError
    from legrules.traininglog import analyse, read_log
    from legrules.traininglog.chart import render_chart

    log_file = tmp_path / "log.png"
    log_file.write_bytes((LOGS / "legrules.csv").read_bytes())
    before = log_file.read_bytes()
    analysis = analyse(read_log(log_file, today=dt.date(2024, 1, 31)))
    with pytest.raises(OutputError, match="refusing to write the chart"):
        render_chart(analysis, log_file)
    assert log_file.read_bytes() == before


def test_a_log_on_stdin_over_the_limit_says_so_as_every_input_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from legrules.traininglog import readers

    monkeypatch.setattr(readers, "MAX_LOG_BYTES", 2**20)
    result = run("summary", "-", *AS_OF, stdin="a" * (2**20 + 1))
    assert result.exit_code == 2
    assert "<stdin>: too large: the limit is 1 MiB" in result.stderr
