"""Files mujo-edge writes for others to read: checkpoint folders and export sidecars.

Both start with the same provenance header (:func:`mujo_edge.provenance.make_header`): format name and
version, the mujo-edge version and git commit that wrote them, the creation time and the sha256 of
the payload (weights or model file). :mod:`~mujo_edge.artifacts.checkpoint` reads and writes
checkpoint folders, :mod:`~mujo_edge.artifacts.sidecar` the JSON beside every exported model file.
"""
