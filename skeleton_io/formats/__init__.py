"""One module per format, each with ``load(path, **opts)`` and ``save(seq, path, **opts)``."""
