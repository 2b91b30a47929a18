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
    child.expect(r"questions 1-7 of \d+")  # the screening checklist
    child.expect(PROMPT)
    child.sendline("2")
    child.expect(r" - question \d+ of \d+")
    child.expect(PROMPT)
    child.sendintr()
    # a yes to chest pain means a referral: the screening questions after it that cannot
    # change that are not kept
    child.expect(r"saved the \d+ answers given so far to")
    child.expect("legrules assess --resume")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130, transcript.getvalue()[-2000:]
    assert "Traceback" not in transcript.getvalue()
    kept = yaml.safe_load(saved.read_text(encoding="utf-8"))
    assert kept["parq_chest_pain"] is True
    assert [key for key, value in kept.items() if value] == ["parq_chest_pain"]

    child, transcript = spawn(["assess", "--resume", str(saved), "--json"])
    child.expect(f"{len(kept)} answers kept from before")
    child.expect(r" - question \d+ of \d+")  # the answered are not asked again
    while child.expect([PROMPT, REVIEW]) == 0:
        child.sendline("")
    child.sendline("")
    child.expect("saved your answers to")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, transcript.getvalue()[-2000:]
    final = yaml.safe_load(saved.read_text(encoding="utf-8"))
    assert {key: final[key] for key in kept} == kept
