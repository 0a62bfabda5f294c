"""publisher: a help center kept as Markdown in git, published to Plain."""

__version__ = "0.1.0"
