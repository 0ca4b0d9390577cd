"""What every learned model of the toolkit shares: one folder layout and one training loop.

* :mod:`.folder`: a model folder is ``config.json`` (a format tag, every constructor
  argument, the training settings and the command that made it), ``weights.pt`` and,
  where the model normalises its inputs, ``stats.json``; one writer, one loader, one error.
* :mod:`.training`: a time-budgeted cosine learning-rate schedule and a training loop with
  early stopping on held-out data, checkpoints and resume.

The three learned models follow it: the retargeting model (:mod:`retarget.model`), the
denoiser (:mod:`retarget.denoising.learned`) and the learned renderer
(:mod:`retarget.render.learned`).
"""

from .folder import CONFIG, STATS, WEIGHTS, ModelFolder, read_folder, write_folder
from .training import LoopResult, Schedule, run_loop

__all__ = [
    "CONFIG",
    "STATS",
    "WEIGHTS",
    "LoopResult",
    "ModelFolder",
    "Schedule",
    "read_folder",
    "run_loop",
    "write_folder",
]
