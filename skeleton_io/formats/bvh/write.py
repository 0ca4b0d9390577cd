"""BVH writing, exact: joint names, channel orders, End Sites, the frame time as read and
every float at full precision (``repr``), so a read-write-read round trip is identical.
"""

from __future__ import annotations

import logging
from pathlib import Path

from skeleton_io.atomic import atomic_file

from .motion import BvhMotion

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------- writing
def _num(x: float) -> str:
    return repr(float(x))


def write_bvh(motion: BvhMotion, path: str | Path) -> None:
    """Write ``motion`` as a BVH file, atomically (nothing half-written on failure).

    Names, channel orders, End Sites and the frame time string are kept; floats are written
    with ``repr`` so that reading the file back gives identical doubles.
    """
    children: list[list[int]] = [[] for _ in motion.joints]
    for i, j in enumerate(motion.joints):
        if j.parent >= 0:
            children[j.parent].append(i)
    out: list[str] = ["HIERARCHY"]

    def emit(i: int, depth: int) -> None:
        j = motion.joints[i]
        ind = "\t" * depth
        out.append(f"{ind}{'ROOT' if j.parent < 0 else 'JOINT'} {j.name}")
        out.append(f"{ind}{{")
        out.append(f"{ind}\tOFFSET {' '.join(_num(v) for v in j.offset)}")
        if j.channels or j.parent < 0:
            out.append(f"{ind}\tCHANNELS {len(j.channels)} {' '.join(j.channels)}".rstrip())
        for c in children[i]:
            emit(c, depth + 1)
        if j.end_site is not None:
            out.append(f"{ind}\tEnd Site")
            out.append(f"{ind}\t{{")
            out.append(f"{ind}\t\tOFFSET {' '.join(_num(v) for v in j.end_site)}")
            out.append(f"{ind}\t}}")
        out.append(f"{ind}}}")

    for i, j in enumerate(motion.joints):
        if j.parent < 0:
            emit(i, 0)
    ft = motion.frame_time_str
    if ft is None or not _same_float(ft, motion.frame_time):
        ft = _num(motion.frame_time)
    out += ["MOTION", f"Frames: {motion.num_frames}", f"Frame Time: {ft}"]
    body = "\n".join(" ".join(map(repr, row)) for row in motion.motion.tolist())
    text = "\n".join(out) + "\n" + body + ("\n" if body else "")
    with atomic_file(path, suffix=".bvh") as tmp:
        tmp.write_text(text)


def _same_float(s: str, x: float) -> bool:
    try:
        return float(s) == x
    except ValueError:
        return False
