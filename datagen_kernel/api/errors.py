"""The errors users see.

Every error carries one line that names the thing that is wrong, what was expected and how to
fix it. The CLI prints that line and exits non-zero; ``--debug`` adds the traceback.
"""

from __future__ import annotations


class DatagenError(Exception):
    """Base class of every error the CLI turns into a one-line message."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class UsageError(DatagenError):
    """Bad input from the user: an unknown name, a malformed value, an absurd count."""

    exit_code = 2


class ConfigError(UsageError):
    """One or more option values are invalid; all problems are listed at once."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        joined = "; ".join(problems)
        super().__init__(f"invalid configuration: {joined}")


class PluginError(DatagenError):
    """A plugin is broken or two plugins disagree (e.g. both register the same name)."""


class SchemaError(DatagenError):
    """An entity specification is inconsistent (unknown key field, dangling foreign key)."""


class ValidationFailed(DatagenError):
    """Generated data broke a data-quality rule: this is a bug in a generator."""


class SinkError(DatagenError):
    """A destination could not be reached or refused the data."""


class DeliveryError(DatagenError):
    """Not every generated record was acknowledged by its sink."""
