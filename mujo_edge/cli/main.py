"""Entry point of the ``mujo-edge`` command: global options, sub-command registration, error display.

Each sub-command group lives in its own module under ``mujo_edge.cli`` exposing ``register(app)``;
add the module's name to :data:`COMMAND_MODULES`. Heavy imports stay inside the commands, so
``mujo-edge --help`` is fast.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys

import typer

from mujo_edge import __version__
from mujo_edge.errors import MujoEdgeError

#: Modules under mujo_edge.cli that add commands (each defines ``register(app)``).
COMMAND_MODULES: tuple[str, ...] = ("data", "corpus", "quickstart", "pretrain", "evaluate", "finetune", "live", "watch_sim",
                                    "distill",
                                    "export", "predict")

app = typer.Typer(
    name="mujo-edge",
    help="MuJo multimodal pretraining for wearable activity recognition, carried onto phones and watches.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_state = {"verbose": 0}


def configure_logging(verbose: int) -> None:
    """WARNING by default, INFO with ``-v``, DEBUG with ``-vv``; logs go to stderr."""
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_mujo_edge", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler._mujo_edge = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    if verbose <= 0:  # the export toolchains and the text tower are chatty at import and conversion time
        for name in NOISY_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
        for key, value in NOISY_ENV.items():
            os.environ.setdefault(key, value)


#: Third-party loggers kept at ERROR unless ``-v`` is given (their warnings are harmless on CPU, see toolchain notes).
NOISY_LOGGERS: tuple[str, ...] = ("torchao", "torch.utils._pytree", "torch._export", "torch.export", "absl",
                                  "transformers", "sentence_transformers", "huggingface_hub", "bleak.backends.bluezdbus.version")
#: Environment switches of the same libraries' native code and progress bars (set only when unset).
NOISY_ENV: dict[str, str] = {"TF_CPP_MIN_LOG_LEVEL": "2", "TRANSFORMERS_VERBOSITY": "error",
                             "HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1"}


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"mujo-edge {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Print the version and exit."),
    verbose: int = typer.Option(0, "-v", "--verbose", count=True, help="More log output (-v info, -vv debug)."),
) -> None:
    """MuJo on the edge: data, corpus, pretraining, evaluation, distillation, export, live streaming."""
    _state["verbose"] = verbose
    configure_logging(verbose)


for _name in COMMAND_MODULES:
    importlib.import_module(f"mujo_edge.cli.{_name}").register(app)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return the exit code (0 ok, 1 error, 2 usage error).

    Typer/click handle ``--help``, usage errors and ``typer.Exit`` themselves (standalone mode) and
    end with ``SystemExit``; a :class:`MujoEdgeError` is shown as one ``error: ...`` line (with the
    traceback under ``-vv``).
    """
    try:
        app(args=argv, prog_name="mujo-edge")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except MujoEdgeError as exc:
        if _state["verbose"] >= 2:
            logging.getLogger("mujo_edge.cli").exception("command failed")
        typer.echo(f"error: {exc}", err=True)
        return 1
    return 0


def main() -> None:
    """Console-script entry point."""
    sys.exit(run(sys.argv[1:]))
