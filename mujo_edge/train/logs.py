"""Training logs: CSV files (always) and TensorBoard event files (when ``tensorboard`` is installed).

One CSV per stream (``train.csv``, ``val.csv``) with a fixed header; on resume, rows after the
resumed step are dropped first, so a log never holds two versions of a step.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class CsvLog:
    """Append-only CSV with columns ``fields``; ``truncate_after(step)`` drops rows with a larger step."""

    def __init__(self, path: Path, fields: list[str]) -> None:
        self.path, self.fields = Path(path), list(fields)
        if self.path.exists():
            with open(self.path, newline="") as f:
                header = next(csv.reader(f), None)
            if header != self.fields:
                log.warning("%s has columns %s; starting a new log", self.path, header)
                self.path.replace(self.path.with_suffix(".old.csv"))
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "w", newline="") as f:
                csv.writer(f).writerow(self.fields)

    def truncate_after(self, step: int) -> None:
        """Drop rows whose ``step`` is greater than ``step`` (rows written after the resumed checkpoint)."""
        with open(self.path, newline="") as f:
            rows = list(csv.DictReader(f))
        keep = [r for r in rows if int(float(r["step"])) <= step]
        if len(keep) != len(rows):
            with open(self.path, "w", newline="") as f:
                w = csv.DictWriter(f, self.fields)
                w.writeheader()
                w.writerows(keep)

    def write(self, row: dict[str, Any]) -> None:
        """Append one row (missing fields empty, unknown fields ignored)."""
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, self.fields, extrasaction="ignore").writerow(
                {k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})


def read_csv(path: Path) -> list[dict[str, float]]:
    """Rows of a log as dicts of floats (empty cells skipped)."""
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in r.items() if v not in ("", None)} for r in csv.DictReader(f)]


class TensorBoardLog:
    """Scalars to TensorBoard under ``folder``; a no-op when tensorboard is not installed or disabled."""

    def __init__(self, folder: Path, enabled: bool = True) -> None:
        self.writer = None
        if not enabled:
            return
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            log.info("tensorboard not installed; CSV logs only")
            return
        self.writer = SummaryWriter(str(folder))

    def write(self, prefix: str, row: dict[str, Any], step: int) -> None:
        """One scalar per numeric field, tagged ``prefix/field``."""
        if self.writer is None:
            return
        for k, v in row.items():
            if k != "step" and isinstance(v, (int, float)):
                self.writer.add_scalar(f"{prefix}/{k}", v, step)

    def close(self) -> None:
        """Flush and close."""
        if self.writer is not None:
            self.writer.close()
