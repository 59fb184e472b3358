"""Dataset loaders; importing this package registers every dataset in :data:`DATASETS`."""

from mujo_edge.data.loaders import hmp, mhealth, mmfit, motionsense, myogym, uci_hapt, usc_had, wisdm  # noqa: F401
