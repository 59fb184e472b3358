"""Session artifacts shared by the export tests: one synthetic student, exported once per format × precision."""

from __future__ import annotations

from pathlib import Path

import pytest

from mujo_edge.data.synthetic import synthetic_windows


@pytest.fixture(scope="session")
def synth_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synth") / "windows.npz"
    synthetic_windows().save(path)
    return path


@pytest.fixture(scope="session")
def student(synth_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dscnn_tiny student trained supervised on the synthetic windows (a few seconds)."""
    import torch

    from mujo_edge.train.distill import DistillConfig, run_distill

    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("student") / "run"
    run_distill(DistillConfig(student="dscnn_tiny", source=f"windows:{synth_file}", max_steps=200), out)
    return out


@pytest.fixture(scope="session")
def exported(student: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """``{(format, precision): file}`` for all three formats in fp32 and int8 (verified by the export itself)."""
    import torch

    from mujo_edge.export import ExportConfig, export_checkpoint

    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("exported")
    files = {}
    for int8 in (False, True):
        for r in export_checkpoint(student, out, ExportConfig(int8=int8, calib_windows=128)):
            files[(r.format, r.precision)] = r.path
    return files


@pytest.fixture(scope="session")
def tflm_exported(student: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The student exported with ``--format tflm --int8`` (verified in the TFLite Micro interpreter)."""
    import torch

    from mujo_edge.export import ExportConfig, export_checkpoint

    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("tflm")
    (res,) = export_checkpoint(student, out, ExportConfig(formats=("tflm",), int8=True, calib_windows=128))
    return res.path
