"""Every error publisher raises on purpose, each carrying the exit code it ends a command with.

The command line catches :class:`PublisherError` once and prints its message; anything else
that escapes is a bug (exit 70). Exit codes live here and nowhere else:

=====  ==============================================================================
code   meaning
=====  ==============================================================================
0      success
1      the content has errors, or a requested action was refused; nothing was sent
2      usage: a flag, a setting or a file the command needs is wrong or missing
3      Plain failed or refused (network, key, permissions, a rejected write)
4      published, except edits people made in Plain, which were left as they are
70     a bug in publisher
=====  ==============================================================================

Messages are written for the person who must act: what happened, which file, item or URL,
and what to do next. They never contain the API key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from collections.abc import Sequence

    from publisher.content.model import Problem

EXIT_OK = 0
EXIT_CONTENT = 1
EXIT_USAGE = 2
EXIT_REMOTE = 3
EXIT_EDITS_KEPT = 4
EXIT_BUG = 70


class PublisherError(Exception):
    """Base of every deliberate error; ``exit_code`` says how the command ends."""

    exit_code: ClassVar[int] = EXIT_CONTENT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def lines(self) -> list[str]:
        """What the command line prints for this error, one entry a line."""
        return [f"error: {self.message}"]


class ContentError(PublisherError):
    """The content cannot be published as it is (nothing was sent)."""

    exit_code = EXIT_CONTENT

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class RefusedError(PublisherError):
    """A requested action was refused before anything was sent (a prune too large, say)."""

    exit_code = EXIT_CONTENT


class UsageError(PublisherError):
    """A flag, setting, environment variable or file the command needs is wrong."""

    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    """A settings problem: the user has to fix a file, a flag or an environment variable."""


class EditsKeptError(PublisherError):
    """A publish wrote everything except what people edited in Plain (kept as it is)."""

    exit_code = EXIT_EDITS_KEPT


class RemoteError(PublisherError):
    """Plain failed or refused. ``wrote`` says whether this command had written anything
    before the failure, which is when re-running it is worth saying."""

    exit_code = EXIT_REMOTE
    wrote: bool = False

    def lines(self) -> list[str]:
        lines = super().lines()
        if self.wrote:
            lines.append(
                "what was written before the failure stays; running the same command again "
                "is safe and picks up where this one stopped"
            )
        return lines
