"""The quickstart behind ``mujo-edge quickstart``: every stage of mujo-edge, small and self-contained.

An app built from library functions (nothing here is imported by the library): stages run in order,
pass artifacts through a typed :class:`QuickstartContext` and each return a JSON-ready summary.
Nothing is downloaded: real datasets are used when ``MUJO_EDGE_DATA_DIR`` (or ``data_dir``) holds
them, and stages that need no real data run either way.
"""

from mujo_edge.quickstart.config import PREFERRED_DATASETS, QuickstartConfig, QuickstartContext
from mujo_edge.quickstart.run import STAGES, run_quickstart

__all__ = ["PREFERRED_DATASETS", "STAGES", "QuickstartConfig", "QuickstartContext", "run_quickstart"]
