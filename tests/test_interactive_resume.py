"""Ctrl-C (a real SIGINT on a pty) with --save keeps the answers given so far, and
--resume goes on from them: what a person at a terminal sees."""

from __future__ import annotations

from pathlib import Path

import pexpect
import pytest
import yaml

from tests.processes import PROMPT, REVIEW, spawn

pytestmark = pytest.mark.slow


def test_ctrl_c_with_save_keeps_the_answers_and_resume_asks_the_rest(tmp_path: Path) -> None:
    saved = tmp_path / "answers.yaml"
    child, transcript = spawn(["assess", "--save", str(saved)])
    child.expect(r"question 1 of \d+")
    child.expect(PROMPT)
    child.sendline("y")
    child.expect(r"question 2 of \d+")
    child.expect(PROMPT)
    child.sendline("n")
    child.expect(r"question 3 of \d+")
    child.expect(PROMPT)
    child.sendintr()
    child.expect("saved the 2 answers given so far to")
    child.expect("legrules assess --resume")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130, transcript.getvalue()[-2000:]
    assert "Traceback" not in transcript.getvalue()
    kept = yaml.safe_load(saved.read_text(encoding="utf-8"))
    assert sorted(kept.values()) == [False, True]

    child, transcript = spawn(["assess", "--resume", str(saved), "--json"])
    child.expect("2 answers kept from before")
    child.expect(r"question 3 of \d+")  # the two answered are not asked again
    while child.expect([PROMPT, REVIEW]) == 0:
        child.sendline("")
    child.sendline("")
    child.expect("saved your answers to")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, transcript.getvalue()[-2000:]
    final = yaml.safe_load(saved.read_text(encoding="utf-8"))
    assert {key: final[key] for key in kept} == kept
