"""Errors that the command line reports as one clear line (never a traceback)."""


class DprobError(Exception):
    """Base class of every error that is the user's to fix (bad input, missing data, corrupt file)."""


class DataError(DprobError):
    """A dataset is missing, corrupt or truncated."""


class ConfigError(DprobError, ValueError):
    """An invalid setting: unknown profile or architecture, sigma < 0, C <= 0, epochs <= 0, ..."""
