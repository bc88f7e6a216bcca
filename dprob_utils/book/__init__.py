"""The book: ``runner`` (notebooks through papermill, jupyter-book), ``report`` (the profile box of every chapter),
``results`` (results JSON/CSV), ``reference`` (the papers' numbers, as data), ``scorecard`` (claims and verdicts,
chapter 99), ``explorer`` (σ and C live, chapter 90), ``plots``."""
