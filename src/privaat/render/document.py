"""The public policy as words ready for a template: sections, labelled facts, language links.

A ``PolicyDocument`` holds no markup and no policy objects, only text in one language, so
the HTML and the Markdown template lay out exactly the same content.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Fact", "LanguageLink", "PolicyDocument", "Section"]


@dataclass(frozen=True, slots=True)
class Fact:
    """A labelled statement, e.g. "Grondslag: …", optionally with a list under it."""

    label: str
    text: str = ""
    items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Section:
    """A headed part of the policy; activity sections carry their P-ids."""

    anchor: str
    heading: str
    paragraphs: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    facts: tuple[Fact, ...] = ()
    closing: tuple[str, ...] = ()
    promises: tuple[str, ...] = ()
    subsections: tuple[Section, ...] = ()


@dataclass(frozen=True, slots=True)
class LanguageLink:
    """A link to the policy in one published language; the current one is not a link."""

    lang: str
    name: str  # the language's own name: "Nederlands", "English"
    href: str
    current: bool


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """The whole public policy in one language, as words ready for a template."""

    lang: str
    title: str
    last_updated_label: str
    last_updated: str  # "26 november 2026"
    last_updated_iso: str
    version: str
    effective: str
    intro: tuple[str, ...]
    sections: tuple[Section, ...]
    contents_label: str
    skip_link: str
    language_switch: str
    language_links: tuple[LanguageLink, ...]
