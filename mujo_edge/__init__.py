"""mujo-edge: MuJo multimodal pretraining for wearable human activity recognition, on the edge.

The top-level package is kept light: importing it loads only the version, the error tree and
the logger. Sub-packages (``mujo_edge.data``, ``mujo_edge.models``, ...) are imported on use.
"""

import logging

from mujo_edge._version import __version__
from mujo_edge.errors import MujoEdgeError

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["MujoEdgeError", "__version__"]
