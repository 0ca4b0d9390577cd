"""The TransMoMo-style retargeting model: networks, losses, training.

Used as a retargeter through :class:`retarget.retargeters.ModelRetargeter`; loaded with
:func:`retarget.retargeters.load_retargeter`.
"""
