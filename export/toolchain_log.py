"""Keep the export toolchains' own console output out of the user's terminal.

ExecuTorch, litert-torch (absl, TensorFlow, its progress lines), XNNPACK's cpuinfo and ONNX Runtime's
calibration print to the process's stdout / stderr, partly from native code that Python's ``logging``
and ``warnings`` never see. :func:`toolchain_output` points file descriptors 1 and 2 at a log file
for the duration of a conversion or verification, so ``mujo-edge export --json`` prints only its JSON
and the quickstart only its summary; the file is kept beside the exported model for diagnosis.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def toolchain_output(log_path: Path, enabled: bool = True) -> Iterator[Path]:
    """Append everything written to fd 1 and fd 2 (Python and native code) inside the block to ``log_path``."""
    if not enabled:
        yield log_path
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(log_path, "ab") as f, open(log_path, "a", encoding="utf-8", errors="replace") as text:
        try:
            os.dup2(f.fileno(), 1)
            os.dup2(f.fileno(), 2)
            # Python-level writes too, also when sys.stdout is not fd 1 (a wrapper, a test runner's capture)
            with contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
                yield log_path
        finally:
            for stream in (sys.stdout, sys.stderr):
                with contextlib.suppress(Exception):
                    stream.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def tail(log_path: Path, lines: int = 15) -> str:
    """The last ``lines`` lines of a toolchain log ('' when there is none)."""
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
