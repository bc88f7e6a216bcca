"""Differentially private training: ``training`` (SGD and DP-SGD, chapter 01), ``privacy`` (RDP / PRV accounting and
paper 1 eq. (1)), ``reference`` (the slow per-example DP-SGD step the fast paths are tested against) and ``fast``
(the speed layer: the same mathematics, faster)."""
