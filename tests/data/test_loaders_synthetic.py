"""Every loader on small files in its dataset's official layout: units, labels, subjects, errors."""

from __future__ import annotations

import numpy as np
import pytest
from synth_datasets import (
    G,
    tar_folder,
    write_hmp,
    write_mhealth,
    write_mmfit,
    write_motionsense,
    write_myogym,
    write_uci_hapt,
    write_usc_had,
    write_wisdm_raw,
    write_wisdm_reduced,
    zip_folder,
)

from mujo_edge.data import NULL_LABEL, get_dataset, prepare
from mujo_edge.errors import CorruptFileError, DatasetNotFoundError, UnknownNameError


def load(name, root, placement=None):
    # synthetic files reuse the real file names, so the published-sha256 check must be off here
    return get_dataset(name).load(root, placement, verify=False)


def test_motionsense_units_sign_and_labels(tmp_path):
    recs = load("motionsense", write_motionsense(tmp_path))
    assert len(recs) == 9 and {r.subject for r in recs} == {"1", "2", "3"}
    r = next(r for r in recs if r.session == "wlk_7")
    # total acceleration (gravity + user) = (0.1, 1, 0) g, Core Motion sign flipped to specific force
    np.testing.assert_allclose(r.data[0, :3], [-0.1 * G, -1.0 * G, 0.0], rtol=1e-5)
    np.testing.assert_allclose(r.data[:, 4:6], np.tile([0.25, -0.5], (len(r.data), 1)), rtol=1e-6)  # rad/s as is
    assert r.rate_hz == 50.0 and r.placement == "thigh_right"
    assert set(np.unique(r.labels)) == {get_dataset("motionsense").class_names.index("walking")}


def test_usc_had_converts_g_and_deg_per_s(tmp_path):
    recs = load("usc_had", write_usc_had(tmp_path))
    assert len(recs) == 4
    r = recs[0]
    np.testing.assert_allclose(r.data[0], [G, 0, 0, np.pi / 2, 0, -np.pi], rtol=1e-6)
    assert r.rate_hz == 100.0
    assert {(x.subject, x.session) for x in recs} == {("1", "a1t1"), ("1", "a9t1"), ("2", "a1t1"), ("2", "a9t1")}
    assert set(np.unique(next(x for x in recs if x.session == "a9t1").labels)) == {8}  # standing = activity 9


def test_usc_had_resampled_to_50hz_halves_windows(tmp_path):
    ws = prepare("usc_had", data_root=write_usc_had(tmp_path, n=1280), cache=False, verify=False)
    # 1280 samples at 100 Hz -> 640 at 50 Hz -> (640 - 128) // 64 + 1 = 9 windows per trial, 4 trials
    assert len(ws) == 36


def test_uci_hapt_labels_are_one_based_inclusive_with_null_gaps(tmp_path):
    recs = load("uci_hapt", write_uci_hapt(tmp_path))
    assert [r.subject for r in recs] == ["1", "1", "2"]
    r = recs[0]
    assert (r.labels[:400] == 4).all()             # STANDING (5) on samples 1..400
    assert (r.labels[400:450] == NULL_LABEL).all()  # unlabelled gap
    assert (r.labels[450:900] == 0).all() and (r.labels[900:] == NULL_LABEL).all()
    np.testing.assert_allclose(r.data[0], [G, 0, 0, 0, 0.5, 0], rtol=1e-6)


def test_uci_hapt_label_outside_file_is_an_error_naming_labels_txt(tmp_path):
    root = write_uci_hapt(tmp_path, n=500)  # labels reach sample 900
    with pytest.raises(CorruptFileError, match="labels.txt"):
        load("uci_hapt", root)


def test_hmp_codes_to_ms2_and_model_folders_skipped(tmp_path):
    recs = load("hmp", write_hmp(tmp_path))
    assert len(recs) == 4  # the *_MODEL copy is not a trial
    np.testing.assert_allclose(recs[0].data[0], [1.5 * G, -1.5 * G, (-1.5 + 21 / 63 * 3) * G], rtol=1e-6)
    assert recs[0].channels == ("acc_x", "acc_y", "acc_z")
    assert {r.subject for r in recs} == {"f1", "m2"}


def test_hmp_windows_have_masked_gyro(tmp_path):
    ws = prepare("hmp", data_root=write_hmp(tmp_path), cache=False, verify=False)
    assert ws.channel_mask.tolist() == [True, True, True, False, False, False]
    assert np.all(ws.x[:, :, 3:] == 0)


def test_wisdm_reduced_drops_exact_duplicate_runs_with_warning(tmp_path, caplog):
    recs = load("wisdm2019_watch6", write_wisdm_reduced(tmp_path, duplicate_first=True))
    assert len(recs) == 4  # 2 subjects x (A, D); the repeated copy is dropped
    assert "repeats an earlier run" in caplog.text
    assert recs[0].rate_hz == 20.0


def test_wisdm_raw_aligns_acc_and_gyro_on_20hz_grid(tmp_path):
    root = write_wisdm_raw(tmp_path)
    recs = load("wisdm2019", root)
    assert {r.subject for r in recs} == {"1600", "1601"}
    assert {r.session[0] for r in recs} == {"A", "B"}
    r = recs[0]
    assert r.rate_hz == 20.0 and r.channels[3:] == ("gyro_x", "gyro_y", "gyro_z")
    np.testing.assert_allclose(r.data[:, :3].mean(axis=0), [9.81, 0, 0], atol=1e-4)
    np.testing.assert_allclose(r.data[:, 3:].mean(axis=0), [0, 0.3, 0], atol=1e-4)
    assert load("wisdm2019", root, "thigh_right")[0].placement == "thigh_right"


def test_mmfit_frame_labels_and_official_split(tmp_path):
    recs = load("mmfit", write_mmfit(tmp_path))
    r = recs[0]
    assert r.rate_hz == 100.0 and r.placement == "wrist_left"
    t = np.arange(r.n_samples) / 100.0
    frames = t * 30.0
    assert (r.labels[(frames > 300) & (frames < 600)] == 0).all()        # squats
    assert (r.labels[(frames > 900) & (frames < 1200)] == 4).all()       # pushups
    assert (r.labels[frames < 290] == NULL_LABEL).all()
    info = get_dataset("mmfit")
    assert info.official_split.test == ("w00", "w05", "w12", "w13", "w20") and not info.subject_ids_known


def test_mmfit_unknown_exercise_names_file_and_valid_options(tmp_path):
    root = write_mmfit(tmp_path, labels_csv="10,20,3,burpees\n")
    with pytest.raises(CorruptFileError, match=r"w00_labels.csv.*burpees.*squats"):
        load("mmfit", root)


def test_myogym_units_null_and_persons(tmp_path):
    recs = load("myogym", write_myogym(tmp_path))
    assert [r.subject for r in recs] == ["1", "2"]
    r = recs[0]
    np.testing.assert_allclose(r.data[0], [0, 0, G, 0, np.pi, 0], rtol=1e-6)
    assert (r.labels[:100] == NULL_LABEL).all() and (r.labels[100:500] == 19).all()


def test_mhealth_placements(tmp_path):
    root = write_mhealth(tmp_path)
    arm = load("mhealth", root)[0]
    np.testing.assert_allclose(arm.data[0], [9.81, 0, 0, 0, 0, np.pi / 2], rtol=1e-5)
    assert arm.labels[150] == 3 and arm.labels[0] == NULL_LABEL
    ankle = load("mhealth", root, "ankle_left")[0]
    np.testing.assert_allclose(ankle.data[0, :3], [0, 9.81, 0], rtol=1e-5)
    chest = load("mhealth", root, "chest")[0]
    assert chest.channels == ("acc_x", "acc_y", "acc_z")
    with pytest.raises(UnknownNameError, match="forearm_right"):
        load("mhealth", root, "wrist_left")


@pytest.mark.parametrize("pack", ["dir", "tar", "zip"])
def test_same_recordings_from_folder_tar_and_zip(tmp_path, pack):
    root = write_motionsense(tmp_path / "src", subjects=(1, 2), trials=(("std", 6),))
    folder = root / "motionsense" / "A_DeviceMotion_data"
    target = tmp_path / "data"
    (target / "motionsense").mkdir(parents=True)
    if pack == "dir":
        folder.rename(target / "motionsense" / "A_DeviceMotion_data")
    elif pack == "tar":
        tar_folder(folder, target / "motionsense" / "A_DeviceMotion_data.tar.xz")
    else:
        zip_folder(folder, target / "motionsense" / "A_DeviceMotion_data.zip")
    recs = load("motionsense", target)
    assert sorted(r.subject for r in recs) == ["1", "2"]
    assert all(r.n_samples == 300 for r in recs)


def test_truncated_csv_names_the_file(tmp_path):
    root = write_motionsense(tmp_path, subjects=(1,), trials=(("wlk", 7),))
    f = root / "motionsense" / "A_DeviceMotion_data" / "wlk_7" / "sub_1.csv"
    f.write_text(f.read_text()[:-40])  # cut the last row in half
    with pytest.raises(CorruptFileError, match="sub_1.csv"):
        load("motionsense", root)


def test_corrupt_mat_names_the_file(tmp_path):
    root = write_usc_had(tmp_path, subjects=(1,), activities=(1,))
    f = root / "usc_had" / "USC-HAD" / "Subject1" / "a1t1.mat"
    f.write_bytes(f.read_bytes()[:100])
    with pytest.raises(CorruptFileError, match="a1t1.mat"):
        load("usc_had", root)


def test_truncated_archive_names_the_archive(tmp_path):
    root = write_motionsense(tmp_path / "src", subjects=(1, 2))
    arch = tmp_path / "data" / "motionsense" / "A_DeviceMotion_data.tar.xz"
    arch.parent.mkdir(parents=True)
    tar_folder(root / "motionsense" / "A_DeviceMotion_data", arch)
    arch.write_bytes(arch.read_bytes()[: arch.stat().st_size // 2])
    with pytest.raises(CorruptFileError, match="A_DeviceMotion_data.tar.xz"):
        load("motionsense", tmp_path / "data")


def test_missing_dataset_names_env_var_and_download(tmp_path, monkeypatch):
    monkeypatch.delenv("MUJO_EDGE_DATA_DIR", raising=False)
    with pytest.raises(DatasetNotFoundError, match=r"(?s)MUJO_EDGE_DATA_DIR.*data download motionsense"):
        prepare("motionsense")
    with pytest.raises(DatasetNotFoundError, match=r"(?s)A_DeviceMotion_data.*https://github.com/mmalekzadeh"):
        prepare("motionsense", data_root=tmp_path)


def test_unknown_dataset_lists_valid_names():
    with pytest.raises(UnknownNameError) as exc:
        get_dataset("motion_sense")
    msg = str(exc.value)
    assert "motion_sense" in msg and "motionsense" in msg and "usc_had" in msg and "uci_hapt" in msg
