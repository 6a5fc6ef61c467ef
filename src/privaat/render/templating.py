"""The Jinja2 environment for the rendered documents: HTML autoescaped, Markdown verbatim."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

__all__ = ["environment"]


@cache
def environment() -> Environment:
    """One shared environment; templates live in ``privaat/render/templates``."""
    return Environment(
        loader=PackageLoader("privaat.render", "templates"),
        # every *.html.j2 escapes what it prints; policy text is data, never markup
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,  # a misspelt field fails the render instead of vanishing
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
