"""The one store: ``core`` (content keys, the JSON codec, atomic tensor + JSON entries, stored results; never
unpickles), ``model_cache`` (trained models on top of it), ``versions`` (every code-version constant and what
it invalidates)."""
