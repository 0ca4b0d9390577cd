"""Speed of `transfer` with the shipped model: 1,000 frames (goal: under 2 s on this CPU).

Run: .venv/bin/python benchmarks/transfer_speed.py [--frames 1000] [--repeats 5]
Prints a table: model load time, and per mode (fused, network) the best and median wall time
of one transfer of an N-frame motion onto a 300-frame structure, plus frames per second.
Inputs are the built-in dance (no data needed).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()

    from retarget.builtin import builtin_motion, project_to_canvas
    from retarget.retargeters.model import ModelRetargeter

    motion = project_to_canvas(builtin_motion("tall", frames=args.frames), yaw=25)
    structure = project_to_canvas(builtin_motion("small", frames=300), yaw=-40)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device cpu")
    print("| mode | view | frames | best s | median s | frames/s |\n|---|---|---|---|---|---|")
    for mode in ("fused", "network"):
        t0 = time.perf_counter()
        r = ModelRetargeter.load(device="cpu", mode=mode)
        load = time.perf_counter() - t0
        for view_name, view in (("motion", None), ("structure", structure)):
            times = []
            for _ in range(args.repeats):
                r._cache.clear()  # time the whole work, not the analysis cache
                t0 = time.perf_counter()
                r(motion, structure, view)
                times.append(time.perf_counter() - t0)
            best, med = min(times), statistics.median(times)
            print(
                f"| {mode} | {view_name} | {args.frames} | {best:.3f} | {med:.3f} | {args.frames / med:.0f} |"
            )
        print(f"(model load {load:.2f} s)")


if __name__ == "__main__":
    main()
