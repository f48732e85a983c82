"""Accessibility and small-screen checks for the browser journeys.

`assert_accessible(page)` injects axe-core (the npm package installed by `bin/setup --dev`) into
the page and fails on any serious or critical violation of WCAG 2.1 A/AA, naming the rule, the
elements and axe's help page. `assert_fits(page)` fails when the page scrolls sideways (a phone
at 390 px must never need it: wide tables scroll inside their own region)."""

from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


def axe_violations(page, exclude: tuple[str, ...] = ()) -> list[dict]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not as a <script>: the site's CSP stays on.
        page.evaluate(AXE.read_text() + "\n;true")
    result = page.evaluate(
        """([tags, exclude]) => axe.run({include: [document], exclude: exclude.map((s) => [s])},
               {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})""",
        [TAGS, list(exclude)],
    )
    return [v for v in result["violations"] if v.get("impact") in BLOCKING]


def axe_report(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        lines.append(f"{v['impact']} {v['id']}: {v['help']} [{targets}] {v['helpUrl']}")
    return "\n".join(lines)


def assert_accessible(page, exclude: tuple[str, ...] = ()) -> None:
    violations = axe_violations(page, exclude)
    assert not violations, f"axe on {page.url}:\n{axe_report(violations)}"


def sideways_overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate("() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")


def assert_fits(page) -> None:
    over = sideways_overflow(page)
    if over > 1:
        culprits = page.evaluate(
            """() => Array.from(document.querySelectorAll("body *"))
                .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
                .filter((e) => !e.parentElement || !e.parentElement.closest(".table-scroll") || e.matches(".table-scroll"))
                .slice(-5).map((e) => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().right)} px)`)"""
        )
        raise AssertionError(
            f"{page.url} scrolls sideways by {over} px at {page.viewport_size['width']} px: {', '.join(culprits)}"
        )
