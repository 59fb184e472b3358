"""Tiny synthetic datasets written in each dataset's OFFICIAL file layout (for loader tests).

Each writer returns the dataset root folder and the exact physical values it encoded, so tests can
check unit conversions against known numbers rather than against the loader's own output.
"""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import numpy as np

G = 9.80665


def _sine(n: int, rate: float, f: float, amp: float, phase: float = 0.0) -> np.ndarray:
    return amp * np.sin(2 * np.pi * f * np.arange(n) / rate + phase)


def write_motionsense(root: Path, subjects=(1, 2, 3), trials=(("wlk", 7), ("sit", 5), ("jog", 9)), n=300) -> Path:
    """``motionsense/A_DeviceMotion_data/<act>_<trial>/sub_<k>.csv`` with gravity (0, 1, 0) g + 0.1 g user acc."""
    base = root / "motionsense" / "A_DeviceMotion_data"
    header = ",attitude.roll,attitude.pitch,attitude.yaw,gravity.x,gravity.y,gravity.z,rotationRate.x,rotationRate.y," \
             "rotationRate.z,userAcceleration.x,userAcceleration.y,userAcceleration.z"
    for act, trial in trials:
        for s in subjects:
            d = base / f"{act}_{trial}"
            d.mkdir(parents=True, exist_ok=True)
            rows = [header]
            for i in range(n):
                rot = 0.5 * np.sin(2 * np.pi * 2 * i / 50)
                rows.append(f"{i},0.1,0.2,0.3,0.0,1.0,0.0,{rot:.6f},0.25,-0.5,0.1,0.0,0.0")
            (d / f"sub_{s}.csv").write_text("\n".join(rows) + "\n")
    return root


def write_usc_had(root: Path, subjects=(1, 2), activities=(1, 9), trials=(1,), n=400) -> Path:
    """``usc_had/USC-HAD/SubjectN/a{m}t{n}.mat`` with acc (1, 0, 0) g and gyro (90, 0, -180) deg/s."""
    from scipy.io import savemat

    for s in subjects:
        d = root / "usc_had" / "USC-HAD" / f"Subject{s}"
        d.mkdir(parents=True, exist_ok=True)
        for a in activities:
            for t in trials:
                readings = np.tile([1.0, 0.0, 0.0, 90.0, 0.0, -180.0], (n, 1))
                savemat(d / f"a{a}t{t}.mat", {"title": "USC Human Motion Dataset", "subject": str(s),
                                              "activity_number": str(a), "trial": str(t), "sensor_readings": readings})
    return root


def write_uci_hapt(root: Path, exps=((1, 1), (2, 1), (3, 2)), n=1000) -> Path:
    """``uci_hapt/HAPT/RawData``: acc (1, 0, 0) g, gyro (0, 0.5, 0) rad/s; labels 5 (1..400), 1 (451..900)."""
    raw = root / "uci_hapt" / "HAPT" / "RawData"
    raw.mkdir(parents=True, exist_ok=True)
    labels = []
    for exp, user in exps:
        np.savetxt(raw / f"acc_exp{exp:02d}_user{user:02d}.txt", np.tile([1.0, 0.0, 0.0], (n, 1)), fmt="%.6f")
        np.savetxt(raw / f"gyro_exp{exp:02d}_user{user:02d}.txt", np.tile([0.0, 0.5, 0.0], (n, 1)), fmt="%.6f")
        labels += [f"{exp} {user} 5 1 400", f"{exp} {user} 1 451 900"]
    (raw / "labels.txt").write_text("\n".join(labels) + "\n")
    return root


def write_hmp(root: Path, n=200) -> Path:
    """``hmp_wrist/HMP_Dataset/<Class>/Accelerometer-...-<vol>.txt`` with codes (63, 0, 21); plus a *_MODEL copy."""
    base = root / "hmp_wrist" / "HMP_Dataset"
    for cls, vol in (("Walk", "f1"), ("Walk", "m2"), ("Drink_glass", "f1"), ("Drink_glass", "m2")):
        d = base / cls
        d.mkdir(parents=True, exist_ok=True)
        (d / f"Accelerometer-2011-03-24-09-51-07-{cls.lower()}-{vol}.txt").write_text("63 0 21\n" * n)
    model = base / "Walk_MODEL"
    model.mkdir(parents=True, exist_ok=True)
    (model / "Accelerometer-2011-03-24-09-51-07-walk-f1_1.txt").write_text("63 0 21\n" * n)
    return root


def write_wisdm_reduced(root: Path, subjects=(1600, 1601), n=300, duplicate_first=False) -> Path:
    """``wisdm2019/train/data_16XX_accel_watch.txt`` lines ``subj,code,x,y,z;`` for codes A and D."""
    base = root / "wisdm2019" / "train"
    base.mkdir(parents=True, exist_ok=True)
    for s in subjects:
        lines = [f"{s},{code},{0.1 * i:.4f},9.81,0.0;" for code in ("A", "D") for i in range(n)]
        if duplicate_first and s == subjects[0]:
            lines = lines + lines
        (base / f"data_{s}_accel_watch.txt").write_text("\n".join(lines) + "\n")
    return root


def write_wisdm_raw(root: Path, subjects=(1600, 1601), seconds=20.0) -> Path:
    """Original raw layout; accel at ~20 Hz with jitter, gyro at its own clock; activities A then B."""
    rng = np.random.default_rng(0)
    for device in ("watch", "phone"):
        for kind in ("accel", "gyro"):
            d = root / "wisdm2019" / "wisdm-dataset" / "raw" / device / kind
            d.mkdir(parents=True, exist_ok=True)
            for s in subjects:
                lines = []
                t0 = 1_000_000_000_000 if kind == "accel" else 1_000_020_000_000
                for k, code in enumerate(("A", "B")):
                    start = t0 + int(k * (seconds + 5) * 1e9)
                    t = start + np.cumsum(rng.uniform(0.045, 0.055, int(seconds * 20))) * 1e9
                    for ti in t.astype(np.int64):
                        x = (9.81, 0.0, 0.0) if kind == "accel" else (0.0, 0.3, 0.0)
                        lines.append(f"{s},{code},{ti},{x[0]},{x[1]},{x[2]};")
                lines.append(lines[-1])  # a repeated timestamp, as in the original files
                (d / f"data_{s}_{kind}_{device}.txt").write_text("\n".join(lines) + "\n")
    return root


def write_mmfit(root: Path, labels_csv: str | None = None, workouts=("w00", "w01"), seconds=60.0) -> Path:
    """``mmfit/mm-fit/wXX/`` with labels and sw_l acc/gyr .npy ``[frame, ms, x, y, z]`` at ~100 Hz."""
    for w in workouts:
        d = root / "mmfit" / "mm-fit" / w
        d.mkdir(parents=True, exist_ok=True)
        (d / f"{w}_labels.csv").write_text(labels_csv or "300,600,10,squats\n900,1200,10,pushups\n")
        ms = np.arange(0, seconds * 1000, 10.0)
        frames = ms / 1000.0 * 30.0
        acc = np.stack([frames, ms, np.full_like(ms, 9.81), np.zeros_like(ms), np.zeros_like(ms)], axis=1)
        gyr = np.stack([frames, ms + 3, np.zeros_like(ms), np.full_like(ms, 0.2), np.zeros_like(ms)], axis=1)
        np.save(d / f"{w}_sw_l_acc.npy", acc)
        np.save(d / f"{w}_sw_l_gyr.npy", gyr)
    return root


def write_myogym(root: Path, n_per_person=600) -> Path:
    """``myogym/MyoGym.mat`` (v5) with raw_data (N, 17) and raw_data_labels (N, 2)."""
    from scipy.io import savemat

    rows, labs = [], []
    for person in (1, 2):
        t = np.arange(n_per_person) * 20.0
        r = np.zeros((n_per_person, 17))
        r[:, 0] = r[:, 9] = r[:, 13] = t
        r[:, 10:13] = [0.0, 0.0, 1.0]       # g
        r[:, 14:17] = [0.0, 180.0, 0.0]     # deg/s
        rows.append(r)
        lab = np.full((n_per_person, 2), person, dtype=float)
        lab[:, 0] = 99
        lab[100:500, 0] = 20 if person == 1 else 26
        labs.append(lab)
    d = root / "myogym"
    d.mkdir(parents=True, exist_ok=True)
    savemat(d / "MyoGym.mat", {"raw_data": np.concatenate(rows), "raw_data_labels": np.concatenate(labs)})
    return root


def write_mhealth(root: Path, subjects=(1, 2), n=800) -> Path:
    """``mhealth/MHEALTHDATASET/mHealth_subject<N>.log``: 24 tab-separated columns, labels 0 / 4 / 10."""
    d = root / "mhealth" / "MHEALTHDATASET"
    d.mkdir(parents=True, exist_ok=True)
    for s in subjects:
        arr = np.zeros((n, 24))
        arr[:, 14:17] = [9.81, 0.0, 0.0]   # right lower arm acc, m/s^2
        arr[:, 17:20] = [0.0, 0.0, 90.0]   # right lower arm gyro, deg/s
        arr[:, 5:8] = [0.0, 9.81, 0.0]     # left ankle acc
        arr[:, 23] = 0
        arr[100:400, 23] = 4
        arr[400:700, 23] = 10
        np.savetxt(d / f"mHealth_subject{s}.log", arr, fmt="%.5f", delimiter="\t")
    return root


def tar_folder(folder: Path, archive: Path) -> Path:
    """Pack ``folder`` into ``archive`` (.tar.xz) with ``folder``'s name as the top-level entry."""
    with tarfile.open(archive, "w:xz") as tf:
        tf.add(folder, arcname=folder.name)
    return archive


def zip_folder(folder: Path, archive: Path) -> Path:
    """Pack ``folder`` into a zip with ``folder``'s name as the top-level entry."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, arcname=str(Path(folder.name) / p.relative_to(folder)))
    return archive


def manifest_for(folder: Path) -> dict[str, str]:
    """``{manifest_key: sha256}`` of every file under ``folder`` (what a packaged manifest holds)."""
    import hashlib

    from mujo_edge.data.filetree import manifest_key

    return {manifest_key(str(p.relative_to(folder.parent))): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file()}
