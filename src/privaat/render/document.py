"""The public statement as words ready for a template: layers, sections, tables, links.

A ``PolicyDocument`` holds no markup and no policy objects, only text in one language, so
the HTML and the Markdown template lay out exactly the same content. A piece of running text
is either a plain ``str`` or ``Rich``: words and ``Link``\\ s, because a channel the system
offers is named as a link to it (issue 9: the statement names only what runs).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Fact",
    "Inline",
    "LanguageLink",
    "Link",
    "PolicyDocument",
    "Rich",
    "Section",
    "Table",
]


@dataclass(frozen=True, slots=True)
class Link:
    """Words that link somewhere: a page of the privacy centre, a section, another version."""

    text: str
    href: str


@dataclass(frozen=True, slots=True)
class Rich:
    """Running text with links in it, e.g. "Zet het uit in ", Link("uw voorkeuren"), "."."""

    parts: tuple[str | Link, ...]

    @property
    def plain(self) -> str:
        """The words without the links' targets, e.g. to count them."""
        return "".join(p if isinstance(p, str) else p.text for p in self.parts)


Inline = str | Rich


@dataclass(frozen=True, slots=True)
class Fact:
    """A labelled statement, e.g. "Grondslag: …", optionally with a list under it."""

    label: str
    text: Inline = ""
    items: tuple[Inline, ...] = ()
    # the overview table already shows ``text``: the statement's details give only the
    # items, so the text is said once (the centre pages still read it from here)
    in_table: bool = False
    # False: kept for the centre pages (privaat.web.pages.holdings reads the facts of an
    # activity's section), not printed in the statement, which says it in other words
    printed: bool = True

    @property
    def shown(self) -> bool:
        """Whether the statement prints anything of this fact."""
        return self.printed and not (self.in_table and not self.items)


@dataclass(frozen=True, slots=True)
class Table:
    """A table with a caption and column headers; the first cell of a row heads the row."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Inline, ...], ...]


@dataclass(frozen=True, slots=True)
class Section:
    """A headed part of the statement; a section that keeps promises carries their P-ids.

    ``facts`` are shown after the paragraphs; with ``details_label`` they fold away behind a
    ``<details>`` whose summary is that label (the second layer of an activity).
    """

    anchor: str
    heading: str
    meta: str = ""  # a line under the heading, e.g. the reading time of the summary
    paragraphs: tuple[str, ...] = ()  # plain paragraphs first (an activity's description)
    lines: tuple[Inline, ...] = ()  # then paragraphs that may hold links
    bullets: tuple[Inline, ...] = ()
    facts: tuple[Fact, ...] = ()
    details_label: str = ""
    tables: tuple[Table, ...] = ()
    closing: tuple[Inline, ...] = ()
    promises: tuple[str, ...] = ()
    subsections: tuple[Section, ...] = ()
    # a box of its own ("Uw recht van bezwaar", "Wat is er veranderd"): an <aside>-like frame
    boxed: bool = False

    @property
    def shown_facts(self) -> tuple[Fact, ...]:
        """The facts the statement prints: no empty "Alle details" fold for the others."""
        return tuple(fact for fact in self.facts if fact.shown)


@dataclass(frozen=True, slots=True)
class LanguageLink:
    """A link to the statement in one published language; the current one is not a link."""

    lang: str
    name: str  # the language's own name: "Nederlands", "English"
    href: str
    current: bool


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """The whole public statement in one language, as words ready for a template.

    ``summary`` is the first layer ("In het kort"), ``objection`` the art. 21(4) box, and
    ``sections`` everything after them; ``changes`` is the "Wat is er veranderd" box.
    """

    lang: str
    title: str
    last_updated_label: str
    last_updated: str  # "26 november 2026"
    last_updated_iso: str
    version: str
    effective: str
    intro: tuple[Inline, ...]
    sections: tuple[Section, ...]
    contents_label: str
    skip_link: str
    language_switch: str
    language_links: tuple[LanguageLink, ...]
    summary: Section | None = None
    objection: Section | None = None
    changes: Section | None = None
    reading_time: str = ""
    # set on an archived version: "this is an earlier version", with the current one linked
    earlier_version: Rich | None = None
    versions_link: Link | None = None
    json_href: str | None = None
    json_label: str = ""

    def all_sections(self) -> tuple[Section, ...]:
        """Every top-level part in reading order: the layers first, then the rest."""
        layers = tuple(s for s in (self.changes, self.summary, self.objection) if s is not None)
        return layers + self.sections
