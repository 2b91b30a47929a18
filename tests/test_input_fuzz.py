"""Fuzzing the readers: whatever an answers document or a rule file holds, the library
raises a LegrulesError (exit code 2 at the command line) or succeeds; nothing else.

The generators draw what broke the readers before (issue 17): aliases and anchors, odd
and core tags, YAML 1.1 scalars, integers of thousands of digits, duplicate keys, deep
nesting, invalid UTF-8, plus plain random text and bytes. Bounded so the suite stays fast.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legrules import LegrulesError
from legrules.errors import InputFileError
from legrules.pack.yamlio import parse_json
from legrules.paths import default_rules_dir
from legrules.run.answers import load_answers_file, parse_answers_document, validate_answers
from legrules.run.loader import load_pack

QUESTIONNAIRE = load_pack(default_rules_dir()).questionnaire
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

KEYS = ["pain_type", "age", "pain_locations", "squat_felt_most", "tracks_progress", "x", "'q'"]
SCALARS = [
    *("none", "sharp", "knee", "glutes", "yes", "no", "on", "true", "False", "~", "null"),
    *("045", "0x1F", "0o17", "0b11", "1:05", "3_4", "1e3", ".inf", "-.NaN", "2001-12-14"),
    *("40", "-1", "+7", "9" * 5000, "-" + "9" * 200, "1e999", "'quoted'", '"a\\tb"', "=", "<<"),
]
TAGS = [
    *("!!str", "!!int", "!!float", "!!bool", "!!null", "!!map", "!!seq", "!"),
    *("!!timestamp", "!!binary", "!!set", "!!omap", "!!python/object:os.system", "!local"),
]


@st.composite
def node(draw: st.DrawFn, inner: st.SearchStrategy[str]) -> str:
    """One flow-style node: maybe an alias instead, maybe with an anchor and a tag."""
    if draw(st.integers(0, 9)) == 0:
        return "*" + draw(st.sampled_from(["a", "b", "zz"]))
    prefix = ""
    if draw(st.integers(0, 5)) == 0:
        prefix += "&" + draw(st.sampled_from(["a", "b"])) + " "
    if draw(st.integers(0, 4)) == 0:
        prefix += draw(st.sampled_from(TAGS)) + " "
    return prefix + draw(inner)


def flow(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    items = st.lists(node(children), max_size=4)
    pairs = st.lists(st.tuples(st.sampled_from(KEYS), node(children)), max_size=4)
    return st.one_of(
        items.map(lambda xs: "[" + ", ".join(xs) + "]"),
        pairs.map(lambda ps: "{" + ", ".join(f"{k}: {v}" for k, v in ps) + "}"),
    )


scalars = st.one_of(st.sampled_from(SCALARS), st.text(alphabet="ab1:-_ ", max_size=6))
values = st.recursive(scalars, flow, max_leaves=12)


@st.composite
def yaml_documents(draw: st.DrawFn) -> str:
    """A block mapping whose keys repeat now and then and whose values are anything."""
    pairs = draw(st.lists(st.tuples(st.sampled_from(KEYS), node(values)), max_size=6))
    text = "".join(f"{key}: {value}\n" for key, value in pairs)
    if draw(st.booleans()):
        text = "[" * draw(st.integers(0, 400)) + text
    return text


json_scalars = st.sampled_from(
    ['"none"', '"knee"', "40", "1e400", "9" * 5000, "-" + "9" * 150, "null", "true", '"\\ud800"']
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(st.sampled_from(KEYS[:5]), children), max_size=4).map(
            lambda ps: "{" + ", ".join(f'"{k}": {v}' for k, v in ps) + "}"
        ),
    ),
    max_leaves=12,
)


def survives(call: Callable[[], object]) -> None:
    """Run ``call``: success or a LegrulesError with a printable message are the only
    outcomes allowed."""
    try:
        call()
    except LegrulesError as error:
        message = str(error)
    else:
        return
    assert message


@FUZZ
@given(st.one_of(yaml_documents(), values, st.text(max_size=200)))
def test_any_answers_text_is_accepted_or_a_legrules_error(text: str) -> None:
    survives(
        lambda: validate_answers(
            parse_answers_document(text, "fuzz.yaml"), QUESTIONNAIRE, source="fuzz.yaml"
        )
    )


@FUZZ
@given(json_values)
def test_any_json_answers_are_accepted_or_a_legrules_error(text: str) -> None:
    survives(lambda: parse_json(text, "fuzz.json"))
    survives(
        lambda: validate_answers(
            parse_answers_document(text, "fuzz.json"), QUESTIONNAIRE, source="fuzz.json"
        )
    )


@FUZZ
@given(st.binary(max_size=200), st.sampled_from(["a.yaml", "a.json"]))
def test_any_answers_file_bytes_are_accepted_or_a_legrules_error(
    tmp_path: Path, data: bytes, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    survives(lambda: load_answers_file(path, QUESTIONNAIRE))


@pytest.fixture(scope="module")
def fuzz_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("fuzz") / "pack"
    shutil.copytree(default_rules_dir(), target, ignore=shutil.ignore_patterns("tests"))
    return target


RULE = """rules:
  - id: fuzz-rule
    title: {title}
    version: {version}
    provenance: inferred
    when: {when}
    then: {then}
    because: Fuzz.
    sources: [{{ref: WEEKLY}}]
"""


@st.composite
def rule_files(draw: st.DrawFn) -> str:
    """A rule skeleton with hostile parts, or a hostile document of its own."""
    if draw(st.booleans()):
        return draw(st.one_of(yaml_documents(), st.text(max_size=200)))
    return RULE.format(
        title=draw(node(values)),
        version=draw(node(values)),
        when=draw(node(values)),
        then=draw(node(values)),
    )


@FUZZ
@given(rule_files())
def test_any_rule_file_loads_or_is_a_legrules_error(fuzz_pack: Path, text: str) -> None:
    (fuzz_pack / "rules" / "baseline.yaml").write_text(text, encoding="utf-8")
    survives(lambda: load_pack(fuzz_pack))


ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=6)


def _utf8(value: object) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@FUZZ
# every code point, lone surrogates included (text() leaves them out by default)
@given(st.recursive(ANY_TEXT, lambda inner: st.dictionaries(ANY_TEXT, inner, max_size=3)))
def test_parsed_json_can_always_be_written_as_utf8(value: object) -> None:
    """A ``\\ud800`` escape decodes to a string no UTF-8 encoder writes: refused at the
    reader with its line, so no message, record or HTTP response naming it fails later."""
    text = json.dumps(value)  # ASCII: every surrogate, lone or paired, as an escape
    if _utf8(value):
        assert parse_json(text, "fuzz.json") == value
    else:
        with pytest.raises(InputFileError, match=r"fuzz\.json:1: .*half of a surrogate pair"):
            parse_json(text, "fuzz.json")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{"a": "\\ud800"}', 1),
        ('{"a": "\\udc00\\ud800"}', 1),
        ('{"a": "ok",\n "b": "\\ud83d x"}', 2),
        ('{"a": "\\ud83d\\\\udc4d"}', 1),  # a high half, then a backslash and "udc4d"
    ],
)
def test_a_lone_surrogate_escape_is_refused_with_its_line(text: str, line: int) -> None:
    with pytest.raises(InputFileError, match=rf"^fuzz\.json:{line}: "):
        parse_json(text, "fuzz.json")


def test_escaped_backslashes_and_surrogate_pairs_are_kept() -> None:
    assert parse_json('{"a": "\\\\ud800 \\ud83d\\udc4d"}', "fuzz.json") == {
        "a": "\\ud800 \U0001f44d"
    }
