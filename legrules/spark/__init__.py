"""Re-scoring stored answers on Apache Spark (optional: ``pip install 'legrules[spark]'``).

Importing this package is cheap and needs no Spark: pyspark and pyarrow are imported when
a function that needs them runs, and their absence is then a :class:`SparkExtraMissing`
naming the extra. Only this package imports pyspark, pyarrow or pandas (an import-linter
contract).

:func:`assess` gives one row per input row, with this schema (:data:`ASSESS_SCHEMA`):

=================  ==============  ====================================================
column             type            holds
=================  ==============  ====================================================
id                 string          the input id, as text
status             string          ``ok`` or ``referral``; null on an error row
recommendations    array<string>   recommendation ids, in the Assessment's order
fired_rules        array<string>   rule ids in firing order (the trace)
fingerprint        string          the ruleset fingerprint the row was assessed with
legrules_version   string          the legrules that assessed it
record             string          the assessment record (docs/CONTRACT.md section 3
                                   JSON); null on an error row
error              string          why the row could not be assessed; null if it was
worker             string          ``host:pid#n``: the worker process and the n-th
                                   Engine built in it that assessed the row
=================  ==============  ====================================================

:func:`compare` gives one difference row per input row (:data:`DIFF_SCHEMA`): ``id``,
``changed`` (the result differs in any way), ``error`` (either run's; prefixed ``new
rules:`` when only the new rules refused the answers), ``status_before``,
``status_after``, ``gained`` and ``lost`` (recommendation ids), ``changes`` (each
difference with the changed rules that decide it, as ``legrules audit replay`` reports
them: ``array<struct<subject, summary, caused_by: array<string>>>``), ``fired_now`` and
``fired_no_longer`` (rule ids). :func:`summarize` adds those rows up, partition by
partition, into an :class:`~legrules.audit.impact.ImpactSummary`.

The rule pack travels to the executors in its compiled form (pickled once per job), never
as a live Engine; each Python worker builds its Engine for the pack the first time it
needs it and keeps it for every later batch and task (see :mod:`legrules.run.rescore`).
"""

from __future__ import annotations

from legrules.spark.frames import (
    ASSESS_SCHEMA,
    DIFF_SCHEMA,
    SparkExtraMissing,
    assess,
    compare,
    read_input,
    running,
    session,
    summarize,
)

__all__ = [
    "ASSESS_SCHEMA",
    "DIFF_SCHEMA",
    "SparkExtraMissing",
    "assess",
    "compare",
    "read_input",
    "running",
    "session",
    "summarize",
]
