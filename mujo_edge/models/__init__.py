"""Models. ``classifiers``: window classifiers (the protocol's CNN baseline; students register here too)."""

from mujo_edge.models import students  # noqa: F401,E402  (registers dscnn, dscnn_tiny, tinyhar_ref, limubert_ref)
from mujo_edge.models.classifiers import CLASSIFIERS, build_classifier, classifier_from_checkpoint
from mujo_edge.models.mujo import (  # noqa: E402  (MuJo model; registers classifier "mujo_imu")
    MODEL_CONFIGS,
    ImuClassifier,
    MujoConfig,
    MujoModel,
    create_model,
    load_mujo,
    save_mujo,
)

__all__ = ["CLASSIFIERS", "MODEL_CONFIGS", "ImuClassifier", "MujoConfig", "MujoModel", "build_classifier",
           "classifier_from_checkpoint", "create_model", "load_mujo", "save_mujo"]
