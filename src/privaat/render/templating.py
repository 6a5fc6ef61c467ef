"""The Jinja2 environments for the rendered documents: HTML autoescaped, Markdown verbatim."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from privaat.i18n import DEFAULT_LANGUAGE, language_of, translations

__all__ = ["environment"]


def environment(lang: str = DEFAULT_LANGUAGE) -> Environment:
    """The environment of ``lang``: templates in ``privaat/render/templates``, whose
    ``_()``, ``ngettext`` and ``{% trans %}`` read the catalogue of that language."""
    return _environment(language_of(lang))


@cache
def _environment(lang: str) -> Environment:
    # one environment per language: installed translations are environment globals, so a
    # shared environment would let two requests in different languages race
    env = Environment(
        loader=PackageLoader("privaat.render", "templates"),
        # every *.html.j2 escapes what it prints; policy text is data, never markup
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,  # a misspelt field fails the render instead of vanishing
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    # newstyle: _("{n} days", n=3) formats and escapes its own placeholders
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env
