"""Train / val / test splits of the motion capture, by motion and by performer.

On ``../shared/mocap`` (the folders of :data:`retarget.data.mocap.SOURCES`):

=======  ==========================================  =====================================
split    motions (clips)                             performers (real characters, each
                                                     also with random limb scaling)
=======  ==========================================  =====================================
train    ``cmu_subjects/01`` and ``/02`` except      ``cmu_subjects/01``, ``/02``,
         ``01_14`` and ``02_10``; all of             ``cmu_dance_basketball``
         ``cmu_dance_basketball``
val      ``cmu_subjects/03/*``, ``01/01_14``,        ``cmu_subjects/03``
         ``02/02_10``
test     ``bandai_namco_1``, ``xia_styles``          ``bandai_namco_1``, ``xia_styles``,
                                                     ``cmu_subjects/03`` (its skeleton)
=======  ==========================================  =====================================

* A model the package ships may only learn from the CMU folders (their terms allow it; see
  ``../shared/mocap/README.md``): train and val are CMU only. Bandai Namco (CC BY-NC) and the
  Xia walks (no licence) are for evaluation only: the test split, whose motions, performers
  and capture setups no trained model has seen. ``format_samples`` is in no split.
* By performer: subject 03 (its skeleton and its clips) is never trained on; val uses it, and
  the test split uses its skeleton as a third real character (pairs of real characters, see
  :mod:`retarget.benchmark.protocol`), never its clips.
  By motion: val holds out two more CMU clips (a playground climb, washing oneself).
* A folder laid out otherwise (your own mocap) is split by motion only: per family, clips in
  a seeded order, 10 % val and 15 % test (at least one clip each when the family has 3+).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from skeleton_io.errors import InvalidArgumentError

from .mocap import MocapLibrary

SPLIT_NAMES = ("train", "val", "test")
VAL_CLIPS = ("cmu_subjects/01/01_14", "cmu_subjects/02/02_10")
VAL_PREFIXES = ("cmu_subjects/03/",)
VAL_CHARACTERS = ("cmu_subjects/03",)
TEST_DATASETS = ("bandai_namco_1", "xia_styles")
EXCLUDED_DATASETS = ("format_samples",)


@dataclass(frozen=True)
class Split:
    """Which clips and which real characters a split uses.

    Attributes:
        name: ``train``, ``val`` or ``test``.
        clips: clip names (keys of :attr:`MocapLibrary.clips`), sorted.
        characters: real characters its performers are built from, sorted.
        rule: how it was made, in words.
    """

    name: str
    clips: tuple[str, ...]
    characters: tuple[str, ...]
    rule: str

    def to_dict(self) -> dict:
        return asdict(self)


def _is_val(name: str) -> bool:
    return name in VAL_CLIPS or name.startswith(VAL_PREFIXES)


def make_splits(lib: MocapLibrary, seed: int = 0) -> dict[str, Split]:
    """The three splits of a library (see the module docstring)."""
    datasets = {c.dataset for c in lib.clips.values()}
    if datasets & (set(TEST_DATASETS) | {"cmu_subjects", "cmu_dance_basketball"}):
        return _shared_splits(lib)
    return _generic_splits(lib, seed)


def get_split(lib: MocapLibrary, name: str, seed: int = 0) -> Split:
    if name not in SPLIT_NAMES:
        raise InvalidArgumentError(
            f"unknown split {name!r}: choose one of {', '.join(SPLIT_NAMES)}"
        )
    return make_splits(lib, seed)[name]


def _shared_splits(lib: MocapLibrary) -> dict[str, Split]:
    train, val, test = [], [], []
    for name, c in sorted(lib.clips.items()):
        if c.dataset in EXCLUDED_DATASETS:
            continue
        if c.dataset in TEST_DATASETS:
            test.append(name)
        elif _is_val(name):
            val.append(name)
        elif lib.characters[c.character].train_ok:
            train.append(name)
    train_chars = sorted(
        n
        for n, ch in lib.characters.items()
        if ch.train_ok and n not in VAL_CHARACTERS and ch.dataset not in EXCLUDED_DATASETS
    )
    val_chars = sorted(n for n in VAL_CHARACTERS if n in lib.characters)
    test_chars = sorted(
        n for n, ch in lib.characters.items() if ch.dataset in TEST_DATASETS or n in val_chars
    )
    return {
        "train": Split("train", tuple(train), tuple(train_chars), "CMU clips not held out; CMU characters but subject 03"),
        "val": Split("val", tuple(val), tuple(val_chars), "CMU subject 03 clips + 01_14 + 02_10; character subject 03"),
        "test": Split("test", tuple(test), tuple(test_chars), "Bandai Namco + Xia (evaluation-only licences); their characters and CMU subject 03's"),
    }  # fmt: skip


def _generic_splits(lib: MocapLibrary, seed: int) -> dict[str, Split]:
    rng = np.random.default_rng(seed)
    parts: dict[str, list[str]] = {s: [] for s in SPLIT_NAMES}
    families = sorted({c.family for c in lib.clips.values()})
    for fam in families:
        names = sorted(n for n, c in lib.clips.items() if c.family == fam)
        order = [names[i] for i in rng.permutation(len(names))]
        n_val = max(1, round(0.10 * len(order))) if len(order) >= 3 else 0
        n_test = max(1, round(0.15 * len(order))) if len(order) >= 3 else 0
        parts["val"] += order[:n_val]
        parts["test"] += order[n_val : n_val + n_test]
        parts["train"] += order[n_val + n_test :]
    chars = tuple(sorted(lib.characters))
    rule = f"by motion only: per family, seeded order (seed {seed}), 10% val, 15% test"
    return {s: Split(s, tuple(sorted(parts[s])), chars, rule) for s in SPLIT_NAMES}
