"""``tools/compare_results.py``: two evaluate outputs compared cell by cell, with the two-run mean."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "tools" / "compare_results.py"
_spec = importlib.util.spec_from_file_location("compare_results", _PATH)
assert _spec is not None and _spec.loader is not None
compare_results = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare_results)


def _results(path: Path, f1: dict[str, float]) -> Path:
    runs = [{"dataset": "d", "fraction": fr, "mode": m, "fold": fold, "seed": 0, "macro_f1": v + 0.01 * fold}
            for m, v in f1.items() for fr in (0.01, 0.02) for fold in (0, 1)]
    runs.append({"dataset": "d", "fraction": 0.01, "mode": "zeroshot", "fold": 0, "seed": 0, "macro_f1": 0.0})
    path.write_text(json.dumps({"runs": runs}))
    return path


def test_cells_targets_and_movement_of_two_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = _results(tmp_path / "a.json", {"finetune": 0.80, "scratch": 0.70, "simclr": 0.78, "limu": 0.60, "multitask": 0.6})
    b = _results(tmp_path / "b.json", {"finetune": 0.76, "scratch": 0.70, "simclr": 0.77, "limu": 0.60, "multitask": 0.6})
    cells = compare_results.cell_means(a)
    assert cells[("d", 0.01, "finetune")] == pytest.approx(0.805) and ("d", 0.01, "zeroshot") not in cells
    ft_scr, ft_ssl, which = compare_results.summarize(cells, "d", 0.01)
    assert (ft_scr, ft_ssl, which) == (pytest.approx(10.0), pytest.approx(2.0), "simclr")
    assert compare_results.summarize(cells, "d", 0.05) is None  # a fraction that was not run
    assert compare_results.main([str(a), str(b), "--fractions", "0.01,0.02"]) == 0
    out = capsys.readouterr().out
    # A: +2 over SimCLR (met); B: −1 (missed); mean: ft 0.78 vs SimCLR 0.775 → +0.5 (missed)
    assert "MuJo >= best SSL + 1 at 1 and 2 %: A 1 of 1, B 0 of 1, mean 0 of 1" in out
    assert "finetune  B − A over 2 cells: mean -4.00" in out and "largest -4.0" in out


def test_one_mode_paired_by_fold_and_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = _results(tmp_path / "a.json", {"finetune": 0.80})
    runs = json.loads(a.read_text())["runs"]
    for r in runs:  # B: fold 0 two points up, fold 1 one point down, at both fractions
        r["macro_f1"] += 0.02 if r["fold"] == 0 else -0.01
    runs.append({"dataset": "d", "fraction": 0.05, "mode": "finetune", "fold": 0, "seed": 0, "macro_f1": 0.9})  # B only
    b = tmp_path / "b.json"
    b.write_text(json.dumps({"runs": runs}))
    assert compare_results.main([str(a), str(b), "--fractions", "0.01,0.02,0.05", "--paired", "finetune"]) == 0
    out = capsys.readouterr().out
    assert "d                    0.01   0.805    0.810      +0.5   1 of 2" in out
    assert "0.05" not in out  # a cell missing in A is skipped, not compared against nothing
    assert "all cells: mean +0.50, positive in 2 of 4 pairs" in out
    # a side split over two files (here: the same runs in two halves) reads as one
    half = len(runs) // 2
    (tmp_path / "b1.json").write_text(json.dumps({"runs": runs[:half]}))
    (tmp_path / "b2.json").write_text(json.dumps({"runs": runs[half:]}))
    assert compare_results.main([str(a), f"{tmp_path / 'b1.json'},{tmp_path / 'b2.json'}", "--paired", "finetune"]) == 0
    assert "all cells: mean +0.50, positive in 2 of 4 pairs" in capsys.readouterr().out
    # two modes paired across files (e.g. MuJo against an SSL baseline evaluated into another folder)
    for r in runs:
        r["mode"] = "simclr" if r["mode"] == "finetune" else r["mode"]
    b.write_text(json.dumps({"runs": runs}))
    assert compare_results.main([str(b), str(a), "--fractions", "0.01,0.02", "--paired", "simclr:finetune"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("simclr:finetune: B − A") and "all cells: mean -0.50, positive in 2 of 4 pairs" in out
    assert compare_results.main([str(b), str(a), "--paired", "finetune"]) == 0  # no finetune in B: nothing paired
    assert "all cells" not in capsys.readouterr().out


def test_best_ssl_over_chosen_modes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a pilot without multi-task: with every SSL mode required its cells are skipped; --ssl-modes takes the best of
    # the modes it names, and an unknown name is refused with the choices
    a = _results(tmp_path / "a.json", {"finetune": 0.80, "scratch": 0.70, "simclr": 0.75, "limu": 0.78})
    cells = compare_results.cell_means(a)
    assert compare_results.summarize(cells, "d", 0.01) is None
    ft_scr, ft_ssl, which = compare_results.summarize(cells, "d", 0.01, ("simclr", "limu"))
    assert (ft_scr, ft_ssl, which) == (pytest.approx(10.0), pytest.approx(2.0), "limu")
    assert compare_results.main([str(a), str(a), "--fractions", "0.01,0.02"]) == 0
    assert "A 0 of 1, B 0 of 1" in capsys.readouterr().out
    assert compare_results.main([str(a), str(a), "--fractions", "0.01,0.02", "--ssl-modes", "simclr,limu"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("best SSL over simclr, limu only") and "A 1 of 1, B 1 of 1, mean 1 of 1" in out
    with pytest.raises(SystemExit):
        compare_results.main([str(a), str(a), "--ssl-modes", "simclr,byol"])
    assert "unknown ['byol']" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # --paired names its modes: a best-SSL choice beside it would be ignored
        compare_results.main([str(a), str(a), "--paired", "finetune", "--ssl-modes", "simclr"])
    assert "has no effect with --paired 'finetune'" in capsys.readouterr().err
