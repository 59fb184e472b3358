"""FiMAD-style multimodal corpora: parallel pose, virtual IMU, video and text clips built from motion capture
and the procedural generator.

    import mujo_edge.corpus
    ds = mujo_edge.corpus.open("corpus1h", split="train")   # torch-style Dataset of clip dicts
    clip = ds[0]; clip["imu"].shape  # (256, 19, 6) at ds.meta["rate_hz"]
"""

from mujo_edge.corpus.build import build_corpus
from mujo_edge.corpus.config import SOURCES, CorpusConfig
from mujo_edge.corpus.store import CorpusDataset, open_corpus, read_index

open = open_corpus  # noqa: A001  (the documented API: mujo_edge.corpus.open(DIR))

__all__ = ["SOURCES", "CorpusConfig", "CorpusDataset", "build_corpus", "open", "open_corpus", "read_index"]
