#!/usr/bin/env python3
"""Per-class signal statistics of real windows against the corpus's virtual windows at the same site.

Where ``mujo-edge corpus realism`` says *that* a class transfers badly, this says *how* the virtual signal
differs: for every class the realism command uses (same overlap, same site, the SensorSpec's windows, at its
rate) it prints, for the real and the virtual (training split) windows,

* ``|a| SD``: standard deviation of the acceleration magnitude within a window, m/s², mean over windows;
* ``f_dom``: median over windows of the dominant frequency of that magnitude, Hz;
* ``>=8Hz``: share of the magnitude's power at 8 Hz and above, mean over windows;
* ``|gyro|``: mean angular-rate magnitude, rad/s;
* ``|g| x y z``: mean absolute direction cosines of the window's mean acceleration (where gravity lies in
  the device frame);
* ``v SD`` / ``v skew``: SD and skewness of the vertical acceleration (projected on the window's mean
  acceleration, i.e. gravity), m/s², mean over windows — stair steps are skewed (a short hard push or stop);
* ``h SD``: SD of the horizontal acceleration magnitude about its mean vector, m/s², mean over windows;
* ``|w| SD``: SD of the angular-rate magnitude within a window, rad/s, mean over windows (a loose device jolts).

Usage: ``MUJO_EDGE_DATA_DIR=../shared/data python tools/realism_stats.py CORPUS DATASET [DATASET ...]``
"""

from __future__ import annotations

import argparse

import numpy as np

from mujo_edge.data import prepare
from mujo_edge.eval.realism import realism_classes, virtual_windows


def window_stats(x: np.ndarray, rate_hz: float) -> tuple[float, float, float, float, np.ndarray, np.ndarray]:
    """``x (N, T, 6)`` m/s² and rad/s at ``rate_hz`` → (|a| SD, dominant Hz, share ≥ 8 Hz, |gyro|, |gravity
    direction| (3,), (v SD, v skew, h SD, |gyro| SD) (4,))."""
    acc, gyro = x[:, :, :3], x[:, :, 3:6]
    mag = np.linalg.norm(acc, axis=2)
    power = np.abs(np.fft.rfft(mag - mag.mean(1, keepdims=True), axis=1)) ** 2
    freqs = np.fft.rfftfreq(x.shape[1], 1.0 / rate_hz)
    g = acc.mean(1)
    g /= np.linalg.norm(g, axis=1, keepdims=True) + 1e-9
    high = power[:, freqs >= 8.0].sum(1) / (power.sum(1) + 1e-9)
    vert = np.einsum("ntc,nc->nt", acc, g)
    horiz = acc - vert[:, :, None] * g[:, None, :]
    dev = vert - vert.mean(1, keepdims=True)
    skew = (dev ** 3).mean(1) / (dev.std(1) ** 3 + 1e-12)
    h_sd = np.linalg.norm(horiz - horiz.mean(1, keepdims=True), axis=2).mean(1)
    w = np.linalg.norm(gyro, axis=2)
    shape = np.array([vert.std(1).mean(), skew.mean(), h_sd.mean(), w.std(1).mean()])
    return (float(mag.std(1).mean()), float(np.median(freqs[power.argmax(1)])), float(high.mean()),
            float(w.mean()), np.abs(g).mean(0), shape)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", help="corpus folder (mujo-edge corpus build --out ...)")
    ap.add_argument("datasets", nargs="+", help="real datasets, e.g. motionsense usc_had uci_hapt")
    args = ap.parse_args(argv)
    for dataset in args.datasets:
        real = prepare(dataset)
        classes = realism_classes(args.corpus, dataset, real.class_names)  # the classes corpus realism scores
        virtual = virtual_windows(args.corpus, classes, real.placement, real.spec, "train")
        print(f"\n{dataset} ({real.placement})")
        print(f"{'class':20s} {'src':7s} {'windows':>7s} {'|a| SD':>7s} {'f_dom':>6s} {'>=8Hz':>6s} {'|gyro|':>6s}  "
              "|g| x y z        v SD v skew   h SD |w| SD")
        for k, name in enumerate(classes):
            for src, x in (("real", real.x[real.y == real.class_names.index(name)]), ("virtual", virtual.x[virtual.y == k])):
                if len(x) == 0:
                    print(f"{name:20s} {src:7s} {0:7d}")
                    continue
                sd, fdom, high, gyro, g, shape = window_stats(x, real.spec.rate_hz)
                print(f"{name:20s} {src:7s} {len(x):7d} {sd:7.2f} {fdom:6.2f} {high:6.2f} {gyro:6.2f}  "
                      + " ".join(f"{v:.2f}" for v in g) + "  " + " ".join(f"{v:+6.2f}" for v in shape))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
