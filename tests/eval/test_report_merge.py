"""``mujo-edge report``: kept ``results.json`` parts of one grid merge into the report an evaluation of the whole
grid writes; parts of different grids, corrupt or missing files are refused with the reason."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mujo_edge.errors import ConfigError, CorruptFileError
from mujo_edge.eval.evaluate import EvaluateConfig, run_evaluation
from mujo_edge.eval.merge import merge_results


def _cfg(root: Path, out: Path, fractions: tuple[float, ...]) -> EvaluateConfig:
    return EvaluateConfig(datasets=("motionsense",), checkpoint=None, fractions=fractions, modes=("scratch", "cnn"),
                          seeds=1, k=3, max_steps=30, zero_shot=False, out=out, data_dir=root, verify=False)


@pytest.fixture(scope="module")
def parts(synth_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two parts of one grid (10 % and 100 %) and the whole grid evaluated from their cached runs."""
    tmp = tmp_path_factory.mktemp("parts")
    run_evaluation(_cfg(synth_root, tmp / "a", (0.1,)))
    run_evaluation(_cfg(synth_root, tmp / "b", (1.0,)))
    for part in ("a", "b"):
        shutil.copytree(tmp / part / "runs", tmp / "whole" / "runs", dirs_exist_ok=True)
    run_evaluation(_cfg(synth_root, tmp / "whole", (0.1, 1.0)))  # every run read from the two parts' cache
    return {"a": tmp / "a" / "results.json", "b": tmp / "b" / "results.json", "whole": tmp / "whole" / "results.json",
            "tmp": tmp}


@pytest.mark.slow
def test_merged_parts_give_the_whole_grids_tables(parts: dict[str, Path]) -> None:
    merged = merge_results([parts["a"], parts["b"]])
    whole = json.loads(parts["whole"].read_text())
    assert len(merged["runs"]) == len(whole["runs"]) == 3 * 2 * 2  # folds × fractions × modes
    assert json.loads(json.dumps(merged["datasets"])) == whole["datasets"]  # cells, deltas, best SSL: identical
    assert [p["path"] for p in merged["meta"]["merged_from"]] == [str(parts["a"]), str(parts["b"])]
    # a file given twice (or overlapping parts) counts each run once
    assert len(merge_results([parts["a"], parts["a"], parts["b"]])["runs"]) == len(whole["runs"])


@pytest.mark.slow
def test_report_cli_writes_tables_targets_and_readme_block(parts: dict[str, Path]) -> None:
    from mujo_edge.cli.main import run

    readme = parts["tmp"] / "README.md"
    readme.write_text("intro\n<!-- evaluate:begin -->\nold tables\n<!-- evaluate:end -->\nafter\n")
    out = parts["tmp"] / "merged"
    assert run(["report", str(parts["a"]), str(parts["b"]), "--out", str(out), "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert "old tables" not in text and text.startswith("intro\n") and text.endswith("after\n")
    assert "| mode | 10 % | 100 % |" in text and "| scratch |" in text and "**Targets**" in text
    for name in ("report.md", "targets.md", "results.json"):
        assert (out / name).stat().st_size > 0
    assert len(json.loads((out / "results.json").read_text())["runs"]) == 12
    # a merged file merges again (its settings are kept)
    assert len(merge_results([out / "results.json", parts["b"]])["runs"]) == 12


@pytest.mark.slow
def test_parts_of_different_grids_are_refused(parts: dict[str, Path], tmp_path: Path) -> None:
    b = json.loads(parts["b"].read_text())
    other = dict(b, runs=[dict(r, key="0" * 16) if i == 0 else r for i, r in enumerate(b["runs"])])
    (tmp_path / "other.json").write_text(json.dumps(other))
    with pytest.raises(ConfigError, match=r"differs between .*cache keys"):
        merge_results([parts["b"], tmp_path / "other.json"])
    (tmp_path / "steps.json").write_text(json.dumps(dict(b, config=dict(b["config"], max_steps=31))))
    with pytest.raises(ConfigError, match="max_steps=31"):
        merge_results([parts["a"], tmp_path / "steps.json"])
    sha = dict(b, meta=dict(b["meta"], weights_sha256={"motionsense": "ab" * 32}))
    (tmp_path / "sha.json").write_text(json.dumps(sha))
    (tmp_path / "sha2.json").write_text(json.dumps(dict(b, meta=dict(b["meta"], weights_sha256={"motionsense": "cd" * 32}))))
    with pytest.raises(ConfigError, match="motionsense: .*weights"):
        merge_results([tmp_path / "sha.json", tmp_path / "sha2.json"])
    with pytest.raises(ConfigError, match="motionsense: .*sha2.json used .*sha.json"):  # not only against the first file
        merge_results([parts["b"], tmp_path / "sha.json", tmp_path / "sha2.json"])
    # the SSL baselines' weights too: a part whose simclr runs read other weights than another part's is refused
    for name, value in (("ssl.json", "ab"), ("ssl2.json", "cd")):
        (tmp_path / name).write_text(json.dumps(dict(b, meta=dict(
            b["meta"], baseline_weights_sha256={"simclr": {"motionsense": value * 32}}))))
    with pytest.raises(ConfigError, match="motionsense: .*ssl2.json used simclr weights cdcd.*ssl.json abab"):
        merge_results([parts["a"], tmp_path / "ssl.json", tmp_path / "ssl2.json"])
    kept = merge_results([parts["a"], tmp_path / "ssl.json"])["meta"]["baseline_weights_sha256"]
    assert kept == {"simclr": {"motionsense": "ab" * 32}}


def test_missing_corrupt_and_foreign_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no results file"):
        merge_results([])
    with pytest.raises(ConfigError, match="nope.json: no such results file"):
        merge_results([tmp_path / "nope.json"])
    (tmp_path / "cut.json").write_text('{"meta": {')
    with pytest.raises(CorruptFileError, match="cut.json: not a readable results.json"):
        merge_results([tmp_path / "cut.json"])
    (tmp_path / "other.json").write_text('{"step": 3}')
    with pytest.raises(CorruptFileError, match="other.json: not an evaluate results.json"):
        merge_results([tmp_path / "other.json"])
