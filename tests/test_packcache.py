"""The per-user compiled-pack cache: same results as compiling, rebuilt whenever anything
it depends on changes, and never trusted when it is damaged or writable by others."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from legrules import Engine, RulePackError
from legrules.pack.index import index_rules
from legrules.run import packcache
from legrules.run.compiler import CompiledPack
from legrules.run.packcache import cache_key, compiled_pack, default_cache_dir

from .conftest import EXAMPLES


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("pack-*.pickle"))


def _forbid_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(root: Path) -> None:
        raise AssertionError(f"load_pack({root}) called: the cache was not used")

    monkeypatch.setattr(packcache, "load_pack", refuse)


def _comparable(engine: Engine, answers: dict[str, object]) -> dict[str, object]:
    data: dict[str, object] = json.loads(engine.assess(answers).to_json())
    data.pop("assessment_id")
    data.pop("created_at")
    return data


def test_second_load_comes_from_the_cache_and_assesses_identically(
    tmp_path: Path, pack_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    first = compiled_pack(pack_copy, cache)
    assert len(_entries(cache)) == 1
    _forbid_loading(monkeypatch)
    second = compiled_pack(pack_copy, cache)
    assert second is not first
    assert second.fingerprint == first.fingerprint
    assert second.shards == first.shards
    assert second.pack.locations == first.pack.locations
    fresh, cached = Engine(first), Engine(second)
    for example in sorted(EXAMPLES.glob("*.json")):
        answers = json.loads(example.read_text(encoding="utf-8"))
        assert _comparable(cached, answers) == _comparable(fresh, answers), example.name


def test_a_cached_pack_carries_its_index(
    tmp_path: Path, pack_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule index is pickled with the pack: every engine asks for it at start-up."""
    cache = tmp_path / "cache"
    compiled_pack(pack_copy, cache)
    _forbid_loading(monkeypatch)
    cached = compiled_pack(pack_copy, cache)
    assert "index" in vars(cached.pack)
    assert cached.pack.index == index_rules(cached.pack.rules)


def test_an_edited_rule_file_is_recompiled(tmp_path: Path, pack_copy: Path) -> None:
    cache = tmp_path / "cache"
    before = compiled_pack(pack_copy, cache)
    rule_file = pack_copy / "rules" / "baseline.yaml"
    rule_file.write_text(
        rule_file.read_text(encoding="utf-8").replace("priority: 900", "priority: 901", 1),
        encoding="utf-8",
    )
    after = compiled_pack(pack_copy, cache)
    assert after.fingerprint != before.fingerprint
    assert len(_entries(cache)) == 2


def test_an_added_rule_file_changes_the_key(pack_copy: Path) -> None:
    before = cache_key(pack_copy)
    (pack_copy / "rules" / "zz-empty.yaml").write_text("rules: []\n", encoding="utf-8")
    assert cache_key(pack_copy) != before


def test_the_same_pack_elsewhere_gets_its_own_entry(tmp_path: Path, pack_copy: Path) -> None:
    # locations (file:line in messages and explanations) are part of the compiled pack
    other = tmp_path / "moved"
    pack_copy.rename(other)
    assert cache_key(other) is not None
    cache = tmp_path / "cache"
    compiled = compiled_pack(other, cache)
    assert all(str(loc.file).startswith(str(other)) for loc in compiled.pack.locations.values())


@pytest.mark.parametrize("name", ["compiler.py", "run/compiler.py", "pack/deep/schema.py"])
def test_edited_legrules_source_changes_the_key(
    tmp_path: Path, pack_copy: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    code = tmp_path / "code"
    module = code / name
    module.parent.mkdir(parents=True)
    module.write_text("x = 1\n", encoding="utf-8")
    monkeypatch.setattr(packcache, "_PACKAGE_DIR", code)
    before = cache_key(pack_copy)
    module.write_text("x = 22\n", encoding="utf-8")
    assert cache_key(pack_copy) != before


def test_a_module_added_to_a_subpackage_changes_the_key(
    tmp_path: Path, pack_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = tmp_path / "code"
    (code / "run").mkdir(parents=True)
    (code / "run" / "engine.py").write_text("x = 1\n", encoding="utf-8")
    monkeypatch.setattr(packcache, "_PACKAGE_DIR", code)
    before = cache_key(pack_copy)
    (code / "run" / "extra.py").write_text("y = 1\n", encoding="utf-8")
    assert cache_key(pack_copy) != before


@pytest.mark.parametrize("content", [b"", b"garbage, not a pickle", pickle.dumps({"a": 1})])
def test_a_damaged_entry_is_ignored_and_replaced(
    tmp_path: Path, pack_copy: Path, content: bytes
) -> None:
    cache = tmp_path / "cache"
    compiled_pack(pack_copy, cache)
    (entry,) = _entries(cache)
    entry.write_bytes(content)
    compiled = compiled_pack(pack_copy, cache)
    assert isinstance(compiled, CompiledPack)
    assert isinstance(pickle.loads(entry.read_bytes())["pack"], CompiledPack)


def test_an_entry_copied_under_another_packs_key_is_rebuilt(
    tmp_path: Path, pack_copy: Path
) -> None:
    # Someone who can write your cache copies pack A's entry to pack B's file name: the
    # entry says which key it was written for, so B is compiled rather than served A.
    other = tmp_path / "other"
    shutil.copytree(pack_copy, other)
    rule_file = other / "rules" / "baseline.yaml"
    rule_file.write_text(
        rule_file.read_text(encoding="utf-8").replace("priority: 900", "priority: 901", 1),
        encoding="utf-8",
    )
    cache = tmp_path / "cache"
    a = compiled_pack(pack_copy, cache)
    b = compiled_pack(other, cache)
    assert a.fingerprint != b.fingerprint
    a_entry = cache / f"pack-{cache_key(pack_copy)}.pickle"
    b_entry = cache / f"pack-{cache_key(other)}.pickle"
    b_entry.write_bytes(a_entry.read_bytes())
    again = compiled_pack(other, cache)
    assert again.fingerprint == b.fingerprint
    assert again.pack.root == b.pack.root
    # ... and the damaged entry was replaced by B's own
    assert compiled_pack(other, cache).fingerprint == b.fingerprint
    assert b_entry.read_bytes() != a_entry.read_bytes()


def test_a_cache_path_that_is_not_a_directory_still_compiles(
    tmp_path: Path, pack_copy: Path
) -> None:
    cache = tmp_path / "cache"
    cache.write_text("a file, not a directory", encoding="utf-8")
    assert compiled_pack(pack_copy, cache).pack.rules
    assert cache.read_text(encoding="utf-8") == "a file, not a directory"


def test_a_failed_write_leaves_no_partial_entry(
    tmp_path: Path, pack_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"

    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("legrules.run.packcache.os.replace", full_disk)
    assert compiled_pack(pack_copy, cache).pack.rules
    assert list(cache.iterdir()) == []


def test_a_cache_directory_others_can_write_is_neither_read_nor_written(
    tmp_path: Path, pack_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    compiled_pack(pack_copy, cache)
    cache.chmod(0o777)
    (entry,) = _entries(cache)
    entry.unlink()
    compiled_pack(pack_copy, cache)
    assert _entries(cache) == []
    cache.chmod(0o700)
    compiled_pack(pack_copy, cache)
    cache.chmod(0o770)
    _forbid_loading(monkeypatch)
    with pytest.raises(AssertionError, match="the cache was not used"):
        compiled_pack(pack_copy, cache)


def test_an_entry_others_can_write_is_not_read(
    tmp_path: Path, pack_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    compiled_pack(pack_copy, cache)
    (entry,) = _entries(cache)
    entry.chmod(0o666)
    _forbid_loading(monkeypatch)
    with pytest.raises(AssertionError, match="the cache was not used"):
        compiled_pack(pack_copy, cache)


def test_a_broken_pack_is_reported_every_time_and_never_cached(
    tmp_path: Path, pack_copy: Path
) -> None:
    cache = tmp_path / "cache"
    (pack_copy / "rules" / "zz-bad.yaml").write_text("rules: [{id: x}]\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RulePackError, match=r"zz-bad\.yaml"):
            compiled_pack(pack_copy, cache)
    assert _entries(cache) == []


def test_a_missing_pack_is_the_loaders_error(tmp_path: Path) -> None:
    with pytest.raises(RulePackError, match="not a rule pack"):
        compiled_pack(tmp_path / "nowhere", tmp_path / "cache")


def test_without_a_cache_directory_nothing_is_written(
    tmp_path: Path, pack_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert compiled_pack(pack_copy, None).pack.rules
    assert not (tmp_path / "home").exists()
    assert not (tmp_path / "xdg").exists()


def test_default_cache_directory_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEGRULES_CACHE_DIR", raising=False)
    monkeypatch.delenv("LEGRULES_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "legrules"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "legrules"
    monkeypatch.setenv("LEGRULES_CACHE_DIR", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"
    monkeypatch.setenv("LEGRULES_NO_CACHE", "0")
    assert default_cache_dir() == tmp_path / "mine"
    monkeypatch.setenv("LEGRULES_NO_CACHE", "1")
    assert default_cache_dir() is None


def test_a_compiled_pack_in_use_still_pickles(engine: Engine) -> None:
    # a batch worker started with "spawn" receives the compiled pack by pickle, after
    # the parent may already have generated its answers model
    engine.assess({"squat_felt_most": "glutes"})
    assert engine.questionnaire.cached_answers_model() is not None
    copy = pickle.loads(pickle.dumps(engine.compiled))
    assert copy.pack.questionnaire.cached_answers_model() is None
    assert Engine(copy).assess({"squat_felt_most": "glutes"}).status == "ok"


def test_cli_uses_and_fills_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from legrules.cli import cli

    cache = tmp_path / "cache"
    monkeypatch.setenv("LEGRULES_CACHE_DIR", str(cache))
    args = ["assess", "--answers", str(EXAMPLES / "glute-dominant.json"), "--format", "json"]
    cold = CliRunner().invoke(cli, args)
    assert cold.exit_code == 0, cold.stderr
    assert len(_entries(cache)) == 1
    _forbid_loading(monkeypatch)
    warm = CliRunner().invoke(cli, args)
    assert warm.exit_code == 0, warm.stderr
    strip = [json.loads(r.stdout) for r in (cold, warm)]
    for data in strip:
        data.pop("assessment_id")
        data.pop("created_at")
    assert strip[0] == strip[1]


def test_cli_with_no_cache_writes_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from legrules.cli import cli

    cache = tmp_path / "cache"
    monkeypatch.setenv("LEGRULES_CACHE_DIR", str(cache))
    monkeypatch.setenv("LEGRULES_NO_CACHE", "1")
    result = CliRunner().invoke(
        cli, ["assess", "--answers", str(EXAMPLES / "glute-dominant.json"), "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    assert not cache.exists()


def test_old_entries_are_pruned_and_recent_ones_kept(
    tmp_path: Path, pack_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packcache, "KEEP_ENTRIES", 2)
    cache = tmp_path / "cache"
    rule_file = pack_copy / "rules" / "baseline.yaml"
    text = rule_file.read_text(encoding="utf-8")
    first = compiled_pack(pack_copy, cache)
    for priority in (901, 902):
        rule_file.write_text(text.replace("priority: 900", f"priority: {priority}", 1), "utf-8")
        compiled_pack(pack_copy, cache)
    assert len(_entries(cache)) == 2
    rule_file.write_text(text, encoding="utf-8")
    # the first version was pruned: loading it again compiles and stores it anew
    assert compiled_pack(pack_copy, cache).fingerprint == first.fingerprint
    assert len(_entries(cache)) == 2
    _forbid_loading(monkeypatch)
    assert compiled_pack(pack_copy, cache).fingerprint == first.fingerprint
