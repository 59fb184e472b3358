"""Markdown table of ``benchmarks/test_bench_export.py`` results: ``python benchmarks/edge_table.py edge.json``."""

from __future__ import annotations

import json
import sys


def main(path: str) -> None:
    infos = [b["extra_info"] for b in json.loads(open(path).read())["benchmarks"]]
    rows = [r for r in infos if "side_by_side" not in r]
    order = {"student": 0, "teacher": 1, "peer": 2}
    rows.sort(key=lambda r: (order.get(r["role"], 9), r["model"], r["backend"], r["precision"], r["threads"]))
    print("| model | role | params | backend | precision | threads | file KB | median µs | p99 µs | peak extra MB "
          "| MFLOP/window | floor µs | median / floor | TFLM arena KB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        kb = f"{r['file_bytes'] / 1024:.1f}" if "file_bytes" in r else "–"
        mem = f"{r['peak_extra_memory_bytes'] / 2**20:.1f}" if "peak_extra_memory_bytes" in r else "–"
        arena = f"{r['arena_bytes'] / 1024:.1f}" if r.get("arena_bytes") else "–"
        print(f"| {r['model']} | {r['role']} | {r['parameters']:,} | {r['backend']} | {r['precision']} | {r['threads']} "
              f"| {kb} | {r['median_us']:.1f} | {r['p99_us']:.1f} | {mem} | {r['flops_per_window'] / 1e6:.2f} "
              f"| {r['flop_floor_us']:.2f} | {r['median_over_floor']:.0f} | {arena} |")
    if rows:
        print(f"\nCPU fp32 GEMM rate (1024³ matmul): {rows[0]['cpu_fp32_gemm_gflops']} GFLOP/s at 1 thread "
              f"(floor = FLOPs / (rate × threads))")

    side = [r for r in infos if "side_by_side" in r]
    if side:
        backends = list(side[0]["side_by_side"])
        print(f"\nint8, one thread, backends interleaved (`test_int8_backends_side_by_side`): median µs (p99) · × FLOP "
              f"floor; target ≤ {side[0]['target_us']:g} µs")
        print("| model | floor µs | " + " | ".join(backends) + " |")
        print("|---|---|" + "---|" * len(backends))
        for r in side:
            cells = [f"{c['median_us']:.1f} ({c['p99_us']:.0f}) · {c['median_over_floor']:.0f}×"
                     + ("" if c["meets_target"] else " ✗") for c in r["side_by_side"].values()]
            print(f"| {r['model']} | {r['flop_floor_us']:.1f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
