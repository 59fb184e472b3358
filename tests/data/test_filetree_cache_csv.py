"""Archive readers with published checksums, the window cache, the recording CSV format."""

from __future__ import annotations

import hashlib
import tarfile
import time

import numpy as np
import pytest
from synth_datasets import write_hmp, write_motionsense, zip_folder

from mujo_edge.data import IMU_CHANNELS, Recording, get_dataset, prepare
from mujo_edge.data.csvio import read_recording_csv, write_recording_csv
from mujo_edge.data.prepare import cache_file
from mujo_edge.data.filetree import manifest_key, open_tree
from mujo_edge.errors import CorruptFileError


def test_manifest_mismatch_names_the_member(tmp_path):
    folder = write_motionsense(tmp_path, subjects=(1,), trials=(("wlk", 7),)) / "motionsense" / "A_DeviceMotion_data"
    f = folder / "wlk_7" / "sub_1.csv"
    good = {manifest_key("A_DeviceMotion_data/wlk_7/sub_1.csv"): hashlib.sha256(f.read_bytes()).hexdigest()}
    tree = open_tree(folder, good)
    assert list(dict(tree.iter_files(tree.members())))== ["wlk_7/sub_1.csv"] and tree.verified == 1
    f.write_bytes(f.read_bytes().replace(b"0.25", b"0.26", 1))
    with pytest.raises(CorruptFileError, match=r"wlk_7/sub_1.csv.*does not match the published"):
        list(open_tree(folder, good).iter_files(["wlk_7/sub_1.csv"]))


def test_zip_and_tar_members_are_identical(tmp_path):
    folder = write_hmp(tmp_path) / "hmp_wrist" / "HMP_Dataset"
    z = open_tree(zip_folder(folder, tmp_path / "h.zip"))
    with tarfile.open(tmp_path / "h.tar.xz", "w:xz") as tf:
        tf.add(folder, arcname="HMP_Dataset")
    t = open_tree(tmp_path / "h.tar.xz")
    assert z.members() == t.members()
    assert dict(z.iter_files(z.members())) == dict(t.iter_files(t.members()))


def test_cache_second_run_is_identical_and_fast(tmp_path):
    root = write_motionsense(tmp_path / "data", subjects=(1, 2, 3, 4), n=3000)
    cache = tmp_path / "cache"
    t0 = time.perf_counter()
    a = prepare("motionsense", data_root=root, cache_root=cache, verify=False)
    cold = time.perf_counter() - t0
    b = prepare("motionsense", data_root=root, cache_root=cache, verify=False)
    assert not a.stats["cached"] and b.stats["cached"]
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert a.subjects.tolist() == b.subjects.tolist() and a.spec == b.spec
    assert b.stats["prepare_seconds"] < cold
    # another spec is another cache entry; a changed source invalidates the entry
    info = get_dataset("motionsense")
    src = info.find_source(root)
    assert cache_file("motionsense", a.spec, "thigh_right", src, cache) != cache_file(
        "motionsense", a.spec.replace(hop=32), "thigh_right", src, cache)
    f = src / "wlk_7" / "sub_1.csv"
    f.write_text(f.read_text())  # new mtime
    assert not prepare("motionsense", data_root=root, cache_root=cache, verify=False).stats["cached"]


def test_corrupt_cache_file_is_rebuilt(tmp_path, caplog):
    root = write_motionsense(tmp_path / "data", subjects=(1, 2))
    cache = tmp_path / "cache"
    ws = prepare("motionsense", data_root=root, cache_root=cache, verify=False)
    path = cache_file("motionsense", ws.spec, ws.placement, get_dataset("motionsense").find_source(root), cache)
    path.write_bytes(b"garbage")
    again = prepare("motionsense", data_root=root, cache_root=cache, verify=False)
    assert not again.stats["cached"] and len(again) == len(ws)
    assert "unreadable cache" in caplog.text


def test_recording_csv_round_trip_and_irregular_timing(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.r_[np.zeros(60), -np.ones(20), np.ones(70)].astype(np.int16)
    rec = Recording("d", "7", "walk", 50.0, IMU_CHANNELS, rng.normal(size=(150, 6)), labels, "wrist_left")
    path = write_recording_csv(rec, tmp_path / "r.csv", ("walk", "run"))
    back, names = read_recording_csv(path)
    assert names == ("run", "walk")  # sorted names found in the file
    np.testing.assert_allclose(back.data, rec.data, rtol=1e-5, atol=1e-5)
    assert back.rate_hz == 50.0 and back.placement == "wrist_left" and back.subject == "7"
    back2, _ = read_recording_csv(path, ("walk", "run"))
    assert back2.labels.tolist() == labels.tolist()
    # irregular clock: resampled onto a uniform grid at the declared rate
    lines = path.read_text().splitlines()
    rows = [ln for ln in lines if ln and not ln.startswith(("#", "t_s"))]
    jittered = [f"{i * 0.02 + (0.007 if i % 3 == 0 and i else 0):.6f}," + r.split(",", 1)[1] for i, r in enumerate(rows)]
    p2 = tmp_path / "j.csv"
    p2.write_text("\n".join([ln for ln in lines if ln.startswith("#")] + [lines[6]] + jittered) + "\n")
    rec3, _ = read_recording_csv(p2, ("walk", "run"))
    assert rec3.rate_hz == 50.0 and abs(rec3.n_samples - 150) <= 1


def test_duplicate_millisecond_timestamps_are_merged_and_counted(tmp_path):
    """Watches stamp in whole milliseconds: two samples may share one. They used to be rejected."""
    t = np.round(np.arange(300) / 104.3, 3)  # 104.3 Hz, ms resolution
    t[50] = t[49]  # and one real duplicate
    rows = "\n".join(f"{ti:.3f},{i % 7},9.8" for i, ti in enumerate(t))
    p = tmp_path / "watch.csv"
    p.write_text("t_s,acc_x,acc_z\n" + rows + "\n")
    rec, _ = read_recording_csv(p)
    dups = 300 - len(np.unique(t))
    assert rec.meta["duplicates_merged"] == dups >= 1 and rec.n_samples == 300 - dups
    assert rec.rate_hz == pytest.approx(104.3, rel=0.02) and rec.data[49, 0] == pytest.approx((49 % 7 + 50 % 7) / 2)


@pytest.mark.parametrize("content, match", [
    ("t_s,acc_x,foo\n0,1,2\n", "unknown column.*foo"),
    ("# rate_hz=50\nacc_x,acc_y\n1,2\n3\n", "row 3"),
    ("acc_x\n1\n", "rate_hz"),
    ("# rate_hz=50\nacc_x,label\n1,jump\n", "jump.*walk"),
    ("t_s,acc_x\n0.2,1\n0.1,2\n0.3,3\n", r"row 3 \(line 3\): sample 1 \(t = 0.100000 s\) is earlier than sample 0"),
    ("t_s,acc_x,acc_y\n", "has a header row but no samples"),
    ("# rate_hz=50\nt_s,acc_x\n0,1\n0.01,2\n0.02,3\n", "header says rate_hz=50 but the timestamps give 100 Hz"),
    ("t_s,acc_x\n0,1\n0.02,nan\n", r"row 3 \(line 3\): non-finite"),
])
def test_bad_csv_names_the_problem(tmp_path, content, match):
    p = tmp_path / "bad.csv"
    p.write_text(content)
    with pytest.raises(CorruptFileError, match=match):
        read_recording_csv(p, ("walk",) if "label" in content else None)


def test_truncated_cache_file_is_discarded_and_rebuilt(tmp_path, caplog):
    """A cache entry cut short (full disk, killed writer) raised zipfile.BadZipFile on every later run."""
    root = write_motionsense(tmp_path / "data", subjects=(1, 2))
    cache = tmp_path / "cache"
    ws = prepare("motionsense", data_root=root, cache_root=cache, verify=False)
    path = cache_file("motionsense", ws.spec, ws.placement, get_dataset("motionsense").find_source(root), cache)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    again = prepare("motionsense", data_root=root, cache_root=cache, verify=False)
    assert not again.stats["cached"] and len(again) == len(ws) and "unreadable cache" in caplog.text
    assert prepare("motionsense", data_root=root, cache_root=cache, verify=False).stats["cached"]  # rebuilt in place


def test_a_second_prepare_waits_for_the_first_and_reads_its_cache(tmp_path):
    import threading

    from mujo_edge.locks import FileLock

    root = write_motionsense(tmp_path / "data", subjects=(1, 2))
    cache = tmp_path / "cache"
    spec = prepare("motionsense", data_root=root, cache=False, verify=False).spec
    path = cache_file("motionsense", spec, "thigh_right", get_dataset("motionsense").find_source(root), cache)
    done = threading.Event()
    got = {}

    def second() -> None:
        got["ws"] = prepare("motionsense", data_root=root, cache_root=cache, verify=False)
        done.set()

    with FileLock(path.with_name(path.name + ".lock"), what="the first prepare"):  # the first process, mid-way
        thread = threading.Thread(target=second)
        thread.start()
        assert not done.wait(1.0)  # the second waits instead of doing the same work
        prepare("motionsense", data_root=root, cache=False, verify=False).save(path)  # the first one's result
    assert done.wait(60)
    assert got["ws"].stats["cached"]  # ... and reuses it
