"""The tracker scan's report: an HTML page (Dutch or English) and the console summary.

The page lists the violations first (each rule in the reader's words with the LEGAL item it
serves), then what the policy declares but the scan did not see, then every cookie, storage
key, third-party request and page of the three passes. Everything printed is escaped: names,
URLs and domains come from the scanned site.
"""

from __future__ import annotations

from collections.abc import Sequence

from privaat.domain.tracker_scan import Finding, FindingKind, Pass
from privaat.i18n import N_, translations
from privaat.render.templating import environment
from privaat.services.tracker_scans import StoredScan

__all__ = ["KIND_TITLES", "PASS_TITLES", "render_report", "summary_lines"]

KIND_TITLES = {
    FindingKind.UNDECLARED_COOKIE: N_("Cookie not in the cookie table"),
    FindingKind.UNDECLARED_STORAGE: N_("Storage key not in the cookie table"),
    FindingKind.COOKIE_BEFORE_CONSENT: N_("Cookie set before a choice was made"),
    FindingKind.COOKIE_AFTER_REFUSAL: N_("Cookie set after refusing"),
    FindingKind.STORAGE_BEFORE_CONSENT: N_("Storage used before a choice was made"),
    FindingKind.STORAGE_AFTER_REFUSAL: N_("Storage used after refusing"),
    FindingKind.REQUEST_BEFORE_CONSENT: N_("Third party called before a choice was made"),
    FindingKind.REQUEST_AFTER_REFUSAL: N_("Third party called after refusing"),
    FindingKind.LIFETIME_LONGER: N_("Cookie lives longer than declared"),
    FindingKind.DECLARED_NOT_SEEN: N_("Declared but not seen"),
}
PASS_TITLES = {
    Pass.BEFORE: N_("before a choice"),
    Pass.REFUSED: N_("after refusing"),
    Pass.ACCEPTED: N_("after accepting"),
}
# the law each rule serves (LEGAL.md); the table and lifetimes: Tw 11.7a, art. 13 GDPR
_SOURCES = {
    FindingKind.UNDECLARED_COOKIE: "Tw 11.7a; GDPR art. 13",
    FindingKind.UNDECLARED_STORAGE: "Tw 11.7a; GDPR art. 13",
    FindingKind.COOKIE_BEFORE_CONSENT: "L39",
    FindingKind.COOKIE_AFTER_REFUSAL: "L39",
    FindingKind.STORAGE_BEFORE_CONSENT: "L39",
    FindingKind.STORAGE_AFTER_REFUSAL: "L39",
    FindingKind.REQUEST_BEFORE_CONSENT: "L39, L44, L45",
    FindingKind.REQUEST_AFTER_REFUSAL: "L39, L44, L45",
    FindingKind.LIFETIME_LONGER: "GDPR art. 13(2)(a)",
    FindingKind.DECLARED_NOT_SEEN: "",
}


def summary_lines(scan: StoredScan, found: Sequence[Finding]) -> list[str]:
    """The plain summary on standard output (English, as every command's output)."""
    visits = scan.visits
    slow = sum(1 for v in visits if v.outcome.value == "timeout")
    failed = sum(1 for v in visits if v.outcome.value == "error")
    violations = [f for f in found if f.violation]
    lines = [
        f"scan {scan.id} of {scan.observed.site}: {len(visits)} page load(s) in 3 passes, "
        f"{slow} timed out, {failed} failed",
        f"seen: {len({(c.name, c.domain) for c in scan.observed.cookies})} cookie(s), "
        f"{len({s.key for s in scan.observed.storage})} storage key(s), "
        f"{len({r.url for r in scan.observed.requests})} third-party URL(s)",
    ]
    for visit in visits:
        if visit.outcome.value != "ok":
            lines.append(f"  {visit.outcome.value}\t{visit.scan_pass.value}\t{visit.url}")
            if visit.detail:
                lines.append(f"    {visit.detail}")
    lines.append(f"violations: {len(violations)}")
    lines.extend(_line(f) for f in violations)
    info = [f for f in found if not f.violation]
    if info:
        lines.append(f"information: {len(info)}")
        lines.extend(_line(f) for f in info)
    return lines


def _line(finding: Finding) -> str:
    where = [finding.scan_pass.value] if finding.scan_pass else []
    where += [x for x in (finding.domain, finding.page, finding.category, finding.detail) if x]
    return f"  {finding.kind.value}\t{finding.name}\t" + "\t".join(where)


def render_report(scan: StoredScan, found: Sequence[Finding], lang: str) -> str:
    """The HTML report of ``scan`` with its ``found`` findings, in ``lang``."""
    t = translations(lang)
    passes = {p: t.gettext(title) for p, title in PASS_TITLES.items()}
    rows = [
        {
            "kind": t.gettext(KIND_TITLES[f.kind]),
            "source": _SOURCES[f.kind],
            "name": f.name,
            "pass": passes[f.scan_pass] if f.scan_pass else "",
            "page": f.page or "",
            "domain": f.domain or "",
            "category": f.category or "",
            "detail": f.detail or "",
        }
        for f in found
    ]
    observed = scan.observed
    return (
        environment(lang)
        .get_template("tracker_scan.html.j2")
        .render(
            lang=lang,
            width="70rem",
            title=t.gettext("Tracker scan of {site}").format(site=observed.site),
            scan=scan,
            at=observed.at.strftime("%Y-%m-%d %H:%M UTC"),
            violations=[r for r, f in zip(rows, found, strict=True) if f.violation],
            information=[r for r, f in zip(rows, found, strict=True) if not f.violation],
            passes=passes,
            cookies=sorted(observed.cookies, key=lambda c: (c.name, c.domain, c.scan_pass)),
            storage=observed.storage,
            requests=observed.requests,
            visits=scan.visits,
        )
    )
