"""The ``dprob`` command (``main``), ``dprob bench`` (``bench``) and the profiles' workload (``workload``)."""
