"""Packaging: both mapped folders import in editable and normal installs; core imports stay light."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAPPED = {"mujo_edge": "mujo_edge", "mujo_edge.export": "export", "mujo_edge.firmware_bridge": "firmware_bridge"}


def test_every_python_folder_is_a_package():
    """A folder with .py files but no __init__.py would silently be left out of the wheel."""
    missing = []
    for folder in MAPPED.values():
        for d in [REPO / folder, *(p for p in (REPO / folder).rglob("*") if p.is_dir())]:
            if "__pycache__" in d.parts:
                continue
            if any(d.glob("*.py")) and not (d / "__init__.py").exists():
                missing.append(str(d.relative_to(REPO)))
    assert not missing, f"folders with Python files but no __init__.py: {missing}"


def test_mapped_packages_import_from_their_folders():
    import mujo_edge.export  # noqa: F401
    import mujo_edge.firmware_bridge  # noqa: F401

    for mod, folder in (("mujo_edge.export", "export"), ("mujo_edge.firmware_bridge", "firmware_bridge")):
        path = Path(sys.modules[mod].__file__).resolve()
        # editable install: the repo folder; normal install: site-packages/mujo_edge/<name>
        assert path == REPO / folder / "__init__.py" or path.parent.name == mod.split(".")[-1], path


@pytest.mark.slow
def test_wheel_ships_and_imports_the_mapped_folders(tmp_path):
    out = tmp_path / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out)], check=True, capture_output=True, timeout=300)
    wheel = next(out.glob("mujo_edge-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for required in ("mujo_edge/export/__init__.py", "mujo_edge/firmware_bridge/__init__.py",
                     "mujo_edge/data/manifests/motionsense.sha256", "mujo_edge/cli/main.py"):
        assert required in names, required
    assert not any(n.startswith(("export/", "firmware_bridge/", "tests/", "benchmarks/")) for n in names)
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    code = (f"import sys; sys.path.insert(0, {str(site)!r}); import mujo_edge, mujo_edge.export, mujo_edge.firmware_bridge, json;"
            "from mujo_edge.data.filetree import load_manifest;"
            "print(json.dumps([mujo_edge.__file__, mujo_edge.export.__file__, mujo_edge.firmware_bridge.__file__,"
            " len(load_manifest('motionsense.sha256'))]))")
    res = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=120,
                         cwd=tmp_path)
    files = json.loads(res.stdout)
    assert all(f.startswith(str(site)) for f in files[:3]), files
    assert files[3] == 360


def test_core_imports_need_only_torch_numpy_scipy():
    code = ("import sys, json; import mujo_edge, mujo_edge.data, mujo_edge.data.loaders, mujo_edge.models, "
            "mujo_edge.artifacts.checkpoint, mujo_edge.eval, mujo_edge.data.protocol, mujo_edge.runtime, "
            "mujo_edge.train.supervised, mujo_edge.export, "
            "mujo_edge.firmware_bridge; print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))")
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                                           timeout=120).stdout))
    heavy = {"typer", "click", "matplotlib", "executorch", "onnxruntime", "onnx", "ai_edge_litert", "litert_torch",
             "bleak", "dbus_fast", "sklearn", "pandas", "safetensors", "tensorboard", "jax"}
    assert not (loaded & heavy), f"core import pulled in {sorted(loaded & heavy)}"
