"""The real datasets as published (run when MUJO_EDGE_DATA_DIR holds them; CI uses ../shared/data).

These pin the numbers the evaluation protocol publishes: subjects, classes, windows per dataset,
window counts per fold and label-fraction sizes, and physical sanity of the converted units.
"""

from __future__ import annotations

import json
import shutil
import tarfile

import numpy as np
import pytest

from mujo_edge.cli.main import run
from mujo_edge.data import label_fractions, prepare, subject_kfold
from mujo_edge.errors import CorruptFileError

pytestmark = pytest.mark.realdata

EXPECTED = {  # dataset: (subjects, classes, windows at the default spec)
    "motionsense": (24, 6, 21539),
    "usc_had": (14, 12, 20769),
    "uci_hapt": (30, 12, 11300),
    "hmp": (16, 14, None),
}
FOLD_SIZES = {  # fit / val / test windows per fold, evaluation_protocol.md
    "motionsense": [(13255, 3822, 4462), (13511, 3677, 4351), (13560, 3481, 4498), (13494, 3588, 4457), (14183, 3585, 3771)],
    "usc_had": [(13309, 3891, 3569), (14365, 2709, 3695), (12958, 2266, 5545), (13709, 2308, 4752), (13776, 3785, 3208)],
    "uci_hapt": [(7219, 1913, 2168), (7156, 1795, 2349), (7244, 1816, 2240), (7263, 1797, 2240), (7118, 1879, 2303)],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_subjects_classes_windows(name, require_dataset):
    root = require_dataset(name)
    ws = prepare(name, data_root=root)
    subjects, classes, windows = EXPECTED[name]
    assert len(ws.subject_ids) == subjects and ws.num_classes == classes
    if windows is not None:
        assert len(ws) == windows
    assert ws.x.shape[1:] == (128, 6) and ws.x.dtype == np.float32
    assert set(np.unique(ws.y)) == set(range(classes))


@pytest.mark.parametrize("name", sorted(FOLD_SIZES))
def test_fold_window_counts_match_the_protocol(name, require_dataset):
    ws = prepare(name, data_root=require_dataset(name))
    folds = subject_kfold(ws.subject_ids, k=5, seed=0)
    got = [tuple(len(f.indices(ws)[p]) for p in ("fit", "val", "test")) for f in folds]
    assert got == FOLD_SIZES[name]


def test_motionsense_fraction_sizes_match_the_protocol(require_dataset):
    ws = prepare("motionsense", data_root=require_dataset("motionsense"))
    idx = subject_kfold(ws.subject_ids)[0].indices(ws)
    fit = {p: len(v) for p, v in label_fractions(ws.y[idx["fit"]], [0.01, 0.02, 0.05, 0.1, 1.0], 0).items()}
    val = {p: len(v) for p, v in label_fractions(ws.y[idx["val"]], [0.01, 0.02, 0.05, 0.1, 1.0], 0).items()}
    assert list(fit.values()) == [133, 265, 664, 1325, 13255]
    assert list(val.values()) == [39, 76, 191, 382, 3822]


@pytest.mark.parametrize("name, static", [("motionsense", ["standing", "sitting"]), ("usc_had", ["standing", "sitting"]),
                                          ("uci_hapt", ["standing", "sitting", "laying"]), ("hmp", ["use_telephone"])])
def test_gravity_is_9_81_when_still(name, static, require_dataset):
    ws = prepare(name, data_root=require_dataset(name))
    rows = np.isin(ws.y, [ws.class_names.index(c) for c in static])
    norm = np.linalg.norm(ws.x[rows][:, :, :3], axis=-1)
    assert np.median(norm) == pytest.approx(9.81, rel=0.06)
    if ws.channel_mask[3:].all():
        assert np.median(np.abs(ws.x[rows][:, :, 3:])) < 0.1  # rad/s, not deg/s


def test_wisdm_reduced_copy(require_dataset):
    ws = prepare("wisdm2019_watch6", data_root=require_dataset("wisdm2019_watch6"))
    assert len(ws.subject_ids) == 51 and ws.num_classes == 6
    assert ws.channel_mask.tolist() == [True] * 3 + [False] * 3


def test_official_uci_hapt_split_is_subject_disjoint(require_dataset):
    from mujo_edge.data import fixed_split, get_dataset

    ws = prepare("uci_hapt", data_root=require_dataset("uci_hapt"))
    off = get_dataset("uci_hapt").official_split
    fold = fixed_split(off.name, ws.subject_ids, list(off.test))
    idx = fold.indices(ws)
    assert len(fold.test_subjects) == 9
    assert not set(ws.subjects[idx["test"]]) & set(ws.subjects[np.concatenate([idx["fit"], idx["val"]])])


def test_modified_member_of_a_real_archive_is_named(tmp_path, require_dataset):
    root = require_dataset("hmp")
    src = root / "hmp_wrist" / "HMP_Dataset.tar.xz"
    with tarfile.open(src) as tf:
        tf.extractall(tmp_path / "x", filter="data")
    victim = next((tmp_path / "x" / "HMP_Dataset" / "Walk").glob("*.txt"))
    victim.write_text(victim.read_text().replace("3", "4", 1))
    (tmp_path / "data" / "hmp_wrist").mkdir(parents=True)
    shutil.move(str(tmp_path / "x" / "HMP_Dataset"), tmp_path / "data" / "hmp_wrist" / "HMP_Dataset")
    with pytest.raises(CorruptFileError, match=victim.name):
        prepare("hmp", data_root=tmp_path / "data", cache=False)


def test_truncated_real_archive_is_named(tmp_path, require_dataset):
    root = require_dataset("hmp")
    dst = tmp_path / "hmp_wrist"
    dst.mkdir()
    data = (root / "hmp_wrist" / "HMP_Dataset.tar.xz").read_bytes()
    (dst / "HMP_Dataset.tar.xz").write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(CorruptFileError, match="HMP_Dataset.tar.xz"):
        prepare("hmp", data_root=tmp_path, cache=False)


def test_data_list_json_reports_the_real_datasets(capsys, require_dataset):
    root = require_dataset("motionsense")
    assert run(["data", "list", "--json", "--data-dir", str(root)]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    for name, (subjects, classes, windows) in EXPECTED.items():
        assert rows[name]["available"] and rows[name]["subjects"] == subjects and rows[name]["num_classes"] == classes
        if windows:
            assert rows[name]["windows"] == windows
    assert rows["mmfit"]["available"] is False and "mm-fit" in rows["mmfit"]["error"]
