"""The questionnaire in a real pseudo-terminal (pexpect): what a person at a terminal sees.

These start ``python -m legrules assess`` on a pty, so stdin really is a terminal: the
command must decide to ask by itself, prompts must appear, Ctrl-C must be a real SIGINT.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
import yaml

from tests.conftest import REPO
from tests.processes import PROMPT, REVIEW, spawn

pytestmark = pytest.mark.slow


def answer_rest_with_enter(child: pexpect.spawn) -> int:
    """Press Enter at every question until the review screen; returns how many."""
    count = 0
    while child.expect([PROMPT, REVIEW]) == 0:
        child.sendline("")
        count += 1
    return count


def test_questionnaire_end_to_end(tmp_path: Path) -> None:
    saved = tmp_path / "answers.yaml"
    child, transcript = spawn(["assess", "--save", str(saved)], tmp_path)
    # the yes/no screening questions come as one checklist
    child.expect(r"Safety screening - questions 1-7 of \d+")
    child.expect(PROMPT)
    child.sendline("maybe")  # a wrong answer is re-asked, not a crash
    child.expect("'maybe' is not a list of numbers from 1 to 7, or none")
    child.expect(PROMPT)
    child.sendline("?")  # why is this asked?
    child.expect("Why we ask:")
    child.expect("Rules that read this answer:")
    child.expect(PROMPT)
    child.sendline("")  # none of them
    child.expect(r"Safety screening - question 8 of \d+")
    child.expect(PROMPT)
    child.sendline("n")  # a wrong answer to a number is re-asked
    child.expect(PROMPT)
    child.sendline("30")
    asked = answer_rest_with_enter(child)
    assert asked > 5
    # the review screen: change answer 1, then see the result
    child.sendline("1")
    child.expect(PROMPT)
    child.sendline("n")
    child.expect(REVIEW)
    child.sendline("")
    child.expect("saved your answers to")
    child.expect("Your leg-training assessment")
    child.expect("This week's plan")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, transcript.getvalue()[-2000:]
    text = transcript.getvalue()
    assert "Traceback" not in text
    assert "\x1b[" not in text  # NO_COLOR is respected
    assert text.count("Review your answers") == 2
    first_question = yaml.safe_load(saved.read_text(encoding="utf-8"))
    assert isinstance(first_question, dict)
    assert False in first_question.values()


@pytest.fixture(params=["inherited-default", "inherited-ignored"])
def sigint(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run the test as it is run from a terminal and as a background job (``pytest &``
    in a script), where SIGINT arrives ignored."""
    handler = signal.SIG_IGN if request.param == "inherited-ignored" else signal.SIG_DFL
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("sigint")
def test_ctrl_c_exits_130_without_a_traceback(tmp_path: Path) -> None:
    child, transcript = spawn(["assess"], tmp_path)
    child.expect(PROMPT)
    child.sendline("n")
    child.expect(PROMPT)
    child.sendintr()
    child.expect("legrules: interrupted")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert child.signalstatus is None
    assert "Traceback" not in transcript.getvalue()


@pytest.mark.usefixtures("sigint")
def test_colour_on_a_terminal_unless_no_color(tmp_path: Path) -> None:
    child, transcript = spawn(["assess"], tmp_path, color=True)
    child.expect(PROMPT)
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert "\x1b[" in transcript.getvalue()


def test_report_to_a_file_prompts_stay_on_the_terminal(tmp_path: Path) -> None:
    command = f"exec '{sys.executable}' -m legrules assess > report.txt"
    env_path = f"PYTHONPATH='{REPO}' "
    child, transcript = spawn([], tmp_path, shell=env_path + command)
    child.expect(PROMPT)
    child.sendline("")
    answer_rest_with_enter(child)
    child.sendline("")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    report = (tmp_path / "report.txt").read_text(encoding="utf-8")
    assert report.startswith("Your leg-training assessment")
    assert "question 1 of" not in report
    assert "Review your answers" in transcript.getvalue()
    assert "Your leg-training assessment" not in transcript.getvalue()
