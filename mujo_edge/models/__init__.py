"""Models. ``classifiers``: window classifiers (the protocol's CNN baseline; students register here too)."""

from mujo_edge.models.classifiers import CLASSIFIERS, build_classifier, classifier_from_checkpoint

__all__ = ["CLASSIFIERS", "build_classifier", "classifier_from_checkpoint"]
