"""Where an assessment's time goes: ``python -m benchmarks.stages``.

Runs the stages of ``Engine.assess`` one after another, as assess does, on the 400
varied documents, and prints each stage's thread CPU time per document, their sum, and
``Engine.assess`` itself measured right after (the sum should be close; if it is not,
this mirror of assess has drifted from it). Timed in line rather than each stage alone
in a loop: alone, a stage runs with warm caches and looks up to 40% cheaper than it is
inside an assessment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from benchmarks.baselines import CEngineAlone, library_fact
from benchmarks.documents import varied_documents
from legrules import Engine
from legrules.run.assessment import Assessment
from legrules.run.construct import construct
from legrules.run.engine import new_assessment_id
from legrules.run.plan import build_plan
from legrules.run.recommend import build_outcome

ROUNDS = 5


def main() -> None:
    engine = Engine()
    documents = varied_documents(engine.pack)
    spent: dict[str, int] = {}
    clock = time.thread_time_ns

    def timed(name: str, work: Callable[[], Any]) -> Any:
        start = clock()
        value = work()
        spent[name] = spent.get(name, 0) + clock() - start
        return value

    def assess(document: dict[str, Any]) -> None:
        answers = timed("validate answers", lambda: engine.validate(document))
        fired, findings = timed("engine (durable + callbacks)", lambda: engine._fire(answers))
        order = {finding: index for index, finding in enumerate(findings)}
        values = answers.as_mapping()
        matched = timed(
            "reasons: what each firing matched",
            lambda: [engine._matched(f, values, order) for f in fired],
        )
        outcome = timed(
            "merge, refer; reasons as models",
            lambda: build_outcome(engine.pack, matched, engine._lookups),
        )
        plan = timed(
            "plan",
            lambda: build_plan(
                engine.pack, outcome, [f.rule for f in fired], answers, engine._plan_tables
            ),
        )
        screening = timed("screening check", lambda: engine._screening.check(answers))
        data = timed(
            "ids, time, answers, given",
            lambda: {
                "assessment_id": new_assessment_id(),
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "status": outcome.status,
                "screening": screening,
                "ruleset": engine._ruleset_info,
                "engine": engine._engine_info,
                "answers": answers.to_dict(),
                "unanswered": answers.unanswered(),
                "given": answers.given(),
                "findings": findings,
                "recommendations": outcome.recommendations,
                "suppressed": outcome.suppressed,
                "plan": plan,
                "trace": [],
                "training_log": None,
            },
        )
        timed("build the Assessment", lambda: construct(Assessment, data))

    for document in documents:
        assess(document)
    spent.clear()
    for _ in range(ROUNDS):
        for document in documents:
            assess(document)
    count = ROUNDS * len(documents)
    for name, nanoseconds in spent.items():
        print(f"{name:32s} {nanoseconds / count / 1000:7.1f} us")
    print(f"{'sum (trace not included)':32s} {sum(spent.values()) / count / 1000:7.1f} us")
    start = clock()
    for _ in range(ROUNDS):
        for document in documents:
            engine.assess(document)
    print(f"{'Engine.assess':32s} {(clock() - start) / count / 1000:7.1f} us")
    alone = CEngineAlone(engine.compiled)
    payloads = [alone.payload(library_fact(engine, d)) for d in documents]
    start = clock()
    for _ in range(ROUNDS):
        for payload in payloads:
            alone.run(payload)
    print(f"{'durable C engine alone':32s} {(clock() - start) / count / 1000:7.1f} us")
    alone.close()


if __name__ == "__main__":
    main()
