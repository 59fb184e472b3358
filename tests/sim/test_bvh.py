"""BVH parsing, forward kinematics and retargeting: tiny synthetic files and the real CMU zip."""

from __future__ import annotations

import numpy as np
import pytest

from mujo_edge.errors import CorruptFileError, DatasetNotFoundError
from mujo_edge.sim.bvh import bvh_forward, parse_bvh, reference_frame_is_tpose, to_canonical
from mujo_edge.sim.kinematics import qconj, qrot
from mujo_edge.sim.skeleton import JOINT_INDEX as J

CHAIN = """HIERARCHY
ROOT root
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT mid
  {
    OFFSET 0 10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 5 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.01
1 2 3 0 0 0 0 0 0
1 2 3 90 0 0 0 90 0
"""


def test_parse_and_forward_kinematics_of_a_tiny_chain():
    b = parse_bvh(CHAIN, "chain.bvh")
    assert b.names == ["root", "mid", "mid_end"] and b.parents == [-1, 0, 1] and b.rate_hz == 100.0
    pos, rot = bvh_forward(b)
    np.testing.assert_allclose(pos[0], [[1, 2, 3], [1, 12, 3], [1, 17, 3]], atol=1e-9)
    # frame 1: root turned 90° about z (y → -x), mid turned 90° about its x (y → z)
    np.testing.assert_allclose(pos[1, 1], [1 - 10, 2, 3], atol=1e-9)
    np.testing.assert_allclose(pos[1, 2], [1 - 10, 2, 3 + 5], atol=1e-9)
    assert rot.shape == (2, 3, 4)


@pytest.mark.parametrize("text, match", [
    (CHAIN.replace("HIERARCHY", "HEIRARCHY"), "expected 'HIERARCHY'"),
    (CHAIN.replace("Zrotation Xrotation Yrotation\n    End", "Zrotation Xrotation Wrotation\n    End"), "unknown channels"),
    (CHAIN.rsplit("\n", 2)[0], "header promises 2 frames"),
    (CHAIN.replace("1 2 3 90", "1 2 x 90"), "non-numeric"),
    (CHAIN.replace("OFFSET 0 10 0", "OFFSET 0 ten 0"), "expected a number"),
    (CHAIN[:38], "unexpected end"),
])
def test_corrupt_bvh_is_a_clear_error(text, match):
    with pytest.raises(CorruptFileError, match=match):
        parse_bvh(text, "bad.bvh")


def _daz_like(frames: list[list[float]], first_tpose: bool) -> str:
    """A minimal BVH with the CMU 'Daz' joint names (cm, Y up, facing +Z)."""
    joints = [  # name, parent, offset (cm)
        ("hip", None, (0, 0, 0)), ("abdomen", "hip", (0, 20, 0)), ("chest", "abdomen", (0, 12, 0)),
        ("neck", "chest", (0, 22, 0)), ("head", "neck", (0, 7, 0)),
        ("lCollar", "chest", (3, 19, 0)), ("lShldr", "lCollar", (9, 0, 0)), ("lForeArm", "lShldr", (28, 0, 0)),
        ("lHand", "lForeArm", (23, 0, 0)), ("lMid1", "lHand", (8, 0, 0)),
        ("rCollar", "chest", (-3, 19, 0)), ("rShldr", "rCollar", (-9, 0, 0)), ("rForeArm", "rShldr", (-28, 0, 0)),
        ("rHand", "rForeArm", (-23, 0, 0)), ("rMid1", "rHand", (-8, 0, 0)),
        ("lButtock", "hip", (9, -5, 0)), ("lThigh", "lButtock", (0, -5, 0)), ("lShin", "lThigh", (0, -40, 0)),
        ("lFoot", "lShin", (0, -42, 0)),
        ("rButtock", "hip", (-9, -5, 0)), ("rThigh", "rButtock", (0, -5, 0)), ("rShin", "rThigh", (0, -40, 0)),
        ("rFoot", "rShin", (0, -42, 0)),
    ]
    children: dict = {}
    for name, parent, _ in joints:
        children.setdefault(parent, []).append(name)
    offs = {n: o for n, _, o in joints}
    lines = ["HIERARCHY"]

    def emit(name: str, depth: int) -> None:
        pad = "  " * depth
        lines.append(f"{pad}{'ROOT' if depth == 0 else 'JOINT'} {name}")
        lines.append(pad + "{")
        lines.append(f"{pad}  OFFSET {' '.join(map(str, offs[name]))}")
        lines.append(f"{pad}  CHANNELS " + ("6 Xposition Yposition Zposition Zrotation Yrotation Xrotation" if depth == 0
                                            else "3 Zrotation Xrotation Yrotation"))
        for c in children.get(name, []):
            emit(c, depth + 1)
        if name.endswith("Foot"):
            lines.extend([pad + "  End Site", pad + "  {", pad + "    OFFSET 0 -6 14", pad + "  }"])
        lines.append(pad + "}")

    emit("hip", 0)
    n_ch = 6 + 3 * (len(joints) - 1)
    rows = ([[0.0, 95.0, 0.0] + [0.0] * (n_ch - 3)] if first_tpose else []) + frames
    lines += ["MOTION", f"Frames: {len(rows)}", "Frame Time: 0.00833333"]
    lines += [" ".join(f"{v:g}" for v in r + [0.0] * (n_ch - len(r))) for r in rows]
    return "\n".join(lines) + "\n"


def test_daz_skeleton_is_retargeted_to_z_up_metres_with_left_on_the_left():
    n_ch = 6 + 3 * 22
    frames = []
    for k in range(60):  # pelvis walks forward along +z (BVH) with a slight root rotation
        row = [0.0, 95.0, 2.0 * k, 30.0, 12.0, 4.0] + [0.0] * (n_ch - 6)
        frames.append(row)
    b = parse_bvh(_daz_like(frames, first_tpose=True), "daz.bvh")
    assert reference_frame_is_tpose(b)
    pos, rot, info = to_canonical(b, smooth_hz=None)
    assert info["skeleton"] == "cmu_daz" and info["dropped_reference_frame"] and pos.shape == (60, 22, 3)
    assert pos[:, J["head"], 2].min() > pos[:, J["pelvis"], 2].max()  # Z is up
    assert pos[..., 2].min() == pytest.approx(0.0, abs=0.02)  # feet on the floor
    assert pos[-1, J["pelvis"], 1] - pos[0, J["pelvis"], 1] == pytest.approx(0.59 * 2.0, abs=0.01)  # +z_bvh → +y, cm → m
    left = qrot(qconj(rot[:, J["pelvis"]]), pos[:, J["hip_l"]] - pos[:, J["pelvis"]])
    assert (left[:, 0] < 0).all()  # the body's left is -x
    # T-pose arms: the canonical upper-arm direction (down at rest) now points sideways, outwards
    pelvis_inv = qconj(rot[:, J["pelvis"]])  # compare in the pelvis frame (the root is turned)
    bone_l = qrot(pelvis_inv, qrot(rot[:, J["shoulder_l"]], np.array([0.0, 0.0, -1.0])))
    bone_r = qrot(pelvis_inv, qrot(rot[:, J["shoulder_r"]], np.array([0.0, 0.0, -1.0])))
    np.testing.assert_allclose(bone_l[0], [-1.0, 0.0, 0.0], atol=0.12)
    np.testing.assert_allclose(bone_r[0], [1.0, 0.0, 0.0], atol=0.12)
    # legs hang: the thigh frame equals the rest frame up to the root rotation
    thigh = qrot(pelvis_inv, qrot(rot[:, J["hip_l"]], np.array([0.0, 0.0, -1.0])))
    assert (thigh[:, 2] < -0.95).all()


def test_unknown_skeleton_is_rejected():
    with pytest.raises(CorruptFileError, match="unknown BVH skeleton"):
        to_canonical(parse_bvh(CHAIN, "chain.bvh"))


def test_mocap_source_missing_is_a_clear_error(tmp_path):
    from mujo_edge.sim.mocap import read_manifest

    with pytest.raises(DatasetNotFoundError, match="procedural"):
        read_manifest(tmp_path)


@pytest.mark.realdata
def test_every_real_cmu_trial_loads_onto_the_canonical_skeleton(real_data_dir):
    from mujo_edge.sim.mocap import load_trial, loop_to, read_manifest

    trials = read_manifest(real_data_dir)
    assert len(trials) == 58
    skeletons = set()
    for tr in trials:
        m = load_trial(tr, real_data_dir)
        skeletons.add(m.meta["skeleton"])
        assert m.rate_hz in (120.0, 30.0)
        assert m.n_frames in (tr.frames, tr.frames - 1)  # reference frame dropped where present
        assert m.meta["dropped_reference_frame"] == (m.meta["skeleton"] == "cmu_daz")
        p = m.positions
        assert np.isfinite(p).all() and abs(np.percentile(p[..., 2].min(axis=1), 5)) < 0.01
        assert np.median(p[:, J["head_top"], 2] - p[:, J["pelvis"], 2]) > 0.4
        leg = np.linalg.norm(p[:, J["knee_r"]] - p[:, J["hip_r"]], axis=1)
        assert 0.3 < leg.mean() < 0.5 and leg.std() < 0.01
    assert skeletons == {"cmu_daz", "cmu_asf"}
    short = next(t for t in trials if t.duration_s < 2)
    m = load_trial(short, real_data_dir)
    looped = loop_to(m, int(7.12 * m.rate_hz))
    assert looped.n_frames == int(7.12 * m.rate_hz) and looped.meta["looped"]
    step = np.linalg.norm(np.diff(looped.positions, axis=0), axis=-1).max()
    assert step < 0.25  # no teleporting at the loop seams (max joint travel per 1/120 s)
