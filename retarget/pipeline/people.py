"""``retarget video SOURCE DRIVING --people all``: every dancer of a driving video on a person
of the source, composited in the source's scene.

1. The source's people (a photo, or frame ``source_frame`` of a video): each one's skeleton
   and mask, left to right (:func:`retarget.render.source.load_sources`); the scene behind
   them is the source frame with all of them inpainted.
2. The driving video's dancers, tracked (:func:`skeleton_io.load_group`, ``people``: all or
   the N largest), denoised (their unseen frames stay missing).
3. Who dances as whom: with one person in the source, every dancer drives a copy of them;
   with as many people as dancers, the dancers left to right (each track's mean x,
   :meth:`PoseGroup.left_to_right`) drive the source's people left to right; other counts
   are refused (keep fewer dancers with ``people`` N).
4. Retargeted together (:func:`retarget.retargeters.group.transfer_group`: each dancer on
   their source person's body, the gaps between them scaled with the bodies, the group
   turned as one in another ``view``) and placed as one group: its centre (the dancers'
   mean first hip) where the centre of the source people they dance as stands (with copies
   of one person: where that person stands). The driving's layout is kept, so dancers who
   stand apart there do not walk into each other here; a group is not moved to stay in
   view, as one person is.
5. Rendered person by person onto the shared scene, the farthest first in every frame
   (:func:`retarget.render.people.render_people`), as H.264 MP4 with the driving's sound.

:func:`retarget.pipeline.video.people_transfer_video` runs these steps; one person
(``people`` main) is :func:`retarget.pipeline.video.pose_transfer_video`'s own path.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from skeleton_io.checks import check_options
from skeleton_io.errors import InvalidArgumentError
from skeleton_io.group import PoseGroup
from skeleton_io.pose import PoseSequence

from ..render.base import SourceAppearance, as_body15
from ..retargeters import load_retargeter
from .placement import DrivingOptions, carry_face, place_on_source

log = logging.getLogger(__name__)


def match_people(
    dancers: PoseGroup, sources: Sequence[Any], name: str, what: str = "source"
) -> dict[int, int]:
    """Track id -> index of the source person each dancer drives (see the module docstring;
    ``sources`` left to right, ``what`` names them in the message).

    Raises:
        InvalidArgumentError: neither one source person nor one per dancer.
    """
    if len(sources) == 1:
        return dict.fromkeys(dancers.ids, 0)
    if len(sources) == dancers.num_people:
        return {k: i for i, k in enumerate(dancers.left_to_right())}
    raise InvalidArgumentError(
        f"{name} shows {len(sources)} people but the driving has {dancers.num_people} "
        f"dancers (track ids {', '.join(map(str, dancers.ids))}): use a {what} with one person "
        f"(everyone dances as them) or one per dancer, or keep {len(sources)} dancers "
        f"(`people` {len(sources)})"
    )


def place_group(
    targets: PoseGroup,
    poses: Sequence[PoseSequence],
    whom: Mapping[int, int],
    anchor: str = "hip",
) -> PoseGroup:
    """The retargeted people of ``targets`` moved together, as one group, so that their
    centre lands on the centre of the people they are placed as: each one's shift onto
    their own person (:func:`~.placement.place_on_source` with ``anchor``, onto frame 0 of
    ``poses[whom[k]]``), averaged, applied to all. The driving's layout is kept: people who
    stand apart there do not walk into each other here. Every track keeps its skeleton;
    the canvas is ``poses[0]``'s; ``meta["placed"]`` records the anchors used and the
    shift."""
    shifts, used = [], []
    for k, s in targets.items():
        placed = place_on_source(s, poses[whom[k]], anchor=anchor)
        if "placed_shift_px" in placed.meta:
            shifts.append(placed.meta["placed_shift_px"])
            used.append(placed.meta.get("placed", {}).get("anchor", anchor))
    shift = np.mean(shifts, axis=0) if shifts else np.zeros(2)
    tracks = {}
    for k, s in targets.items():
        coords = np.where(s.confidence[..., None] > 0, s.coords + shift, 0.0)
        tracks[k] = s.with_coords(coords, canvas=poses[0].canvas)
        tracks[k].meta["placed_shift_px"] = np.asarray(shift).tolist()
    group = PoseGroup(tracks, dict(targets.meta))
    group.meta["placed"] = {"anchors": used, "shift_px": np.asarray(shift).tolist()}
    return group


def place_people(
    targets: PoseGroup, sources: list[SourceAppearance], whom: dict[int, int]
) -> dict[int, PoseSequence]:
    """The retargeted dancers (pixels of the source image) placed in the source's scene as
    one group (step 4 of the module docstring, :func:`place_group` at the hips);
    ``openpose15`` sequences on the source's canvas."""
    placed = place_group(targets, [s.pose for s in sources], whom)
    out = {}
    for k, s in placed.items():
        t15 = as_body15(s)
        out[k] = t15.with_coords(t15.coords, canvas=sources[0].size)
    return out


def people_targets(
    dancers: PoseGroup,
    sources: list[SourceAppearance],
    *,
    name: str = "source",
    **options: Any,
) -> dict[int, PoseSequence]:
    """The render targets of the dancers of ``dancers`` (steps 2-4 of the module
    docstring), by track id, in pixels of the source image. Other arguments as
    :class:`~retarget.pipeline.placement.DrivingOptions`."""
    from ..inputs import as_2d
    from ..retargeters.group import transfer_group

    o = check_options(DrivingOptions, options)
    view, device, method = o["view"], o["device"], o["denoise_method"]
    whom = match_people(dancers, sources, name)
    motion = dancers.map(as_2d, keep_missing=False)
    if method != "none":
        from ..denoising import denoise

        motion = motion.map(lambda s: denoise(s, method))
    bodies = {k: sources[whom[k]].body15 for k in motion.ids}
    r = load_retargeter(o["model"], device=device, denoise=None)
    moved = transfer_group(motion, bodies, view, model=r, device=device, denoise=False)
    placed = place_people(moved, sources, whom)
    if isinstance(view, str) and view == "motion":
        placed = {k: carry_face(p, dancers.person(k)) for k, p in placed.items()}
    return placed


__all__ = ["match_people", "people_targets", "place_people"]
