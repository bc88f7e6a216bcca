"""Settings and the machine: ``profiles`` (every setting of every chapter, by profile), ``paths`` (data, cache,
results), ``devices`` (``DPROB_DEVICE``), ``errors`` (one-line user errors), ``parallel`` (process pool),
``progress`` (progress bars)."""
