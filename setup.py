"""Package discovery for the three mapped folders (metadata lives in pyproject.toml).

``mujo_edge/`` ships as ``mujo_edge``; the top-level ``export/`` and ``firmware_bridge/`` folders ship
as ``mujo_edge.export`` and ``mujo_edge.firmware_bridge`` (setuptools ``package_dir``, the same
mechanism ExecuTorch uses). Every folder with an ``__init__.py`` below them becomes a package, so
nobody has to keep a package list in sync.
"""

from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).parent
MAPPING = {"mujo_edge": "mujo_edge", "mujo_edge.export": "export", "mujo_edge.firmware_bridge": "firmware_bridge"}


def discover(package: str, folder: str) -> list[str]:
    """``package`` and every sub-package under ``folder`` (folders holding an ``__init__.py``)."""
    base = ROOT / folder
    found = []
    for init in sorted(base.rglob("__init__.py")):
        rel = init.parent.relative_to(base)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        found.append(".".join((package, *rel.parts)) if rel.parts else package)
    return found


packages = [p for pkg, folder in MAPPING.items() for p in discover(pkg, folder)]
package_dir = {pkg: folder for pkg, folder in MAPPING.items()}
# sub-packages of the remapped folders need their own entries for editable installs
for pkg, folder in MAPPING.items():
    for sub in discover(pkg, folder):
        if sub != pkg:
            package_dir[sub] = folder + "/" + "/".join(sub[len(pkg) + 1:].split("."))

setup(packages=packages, package_dir=package_dir)
