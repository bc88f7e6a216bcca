"""The one store: ``core`` (the JSON codec, atomic tensor + JSON entries, stored results, keyed by
:func:`dprob_utils.config.keys.content_key` and the code versions of :mod:`dprob_utils.config.versions`; never
unpickles), ``memo`` (what a process computed once), ``model_cache`` (trained models on top of it)."""
