"""The application layer: whole jobs built from the layers below.

* :mod:`.video`: ``retarget video`` / ``retarget render``: extract, denoise, retarget onto the
  source's body, render in the source's scene, encode with the driving audio.
* :mod:`.fit`: ``retarget train``: the retargeting model trained with a periodic benchmark.
* :mod:`.train_renderer`: ``retarget train-renderer``: the learned renderer trained on the
  targets ``retarget video`` gives.

Nothing below this package imports it.
"""
