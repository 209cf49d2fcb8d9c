"""The small severity chart of the executive summary: one bar per severity, inline SVG."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

COLOURS = {
    "critical": "#991b1b",
    "high": "#dc2626",
    "medium": "#d97706",
    "low": "#2563eb",
    "info": "#6b7280",
}
_ROW = 22
_LABEL_W = 70
_BAR_W = 240


def severity_chart(counts: Mapping[str, int], *, waived: int = 0) -> str:
    """Horizontal bars of open findings by severity, with the counts written beside them."""
    rows = list(COLOURS)
    top = max([counts.get(s, 0) for s in rows] + [1])
    height = _ROW * len(rows) + 30
    width = _LABEL_W + _BAR_W + 60
    total = sum(counts.get(s, 0) for s in rows)
    title = f"Open findings by severity: {total}" + (f" ({waived} waived)" if waived else "")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        'font-family="Helvetica, Arial, sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for i, severity in enumerate(rows):
        n = counts.get(severity, 0)
        y = 8 + i * _ROW
        bar = 0 if n == 0 else max(3, round(_BAR_W * n / top))
        out.append(
            f'<text x="{_LABEL_W - 8}" y="{y + 14}" text-anchor="end" fill="#374151">'
            f"{severity}</text>"
            f'<rect x="{_LABEL_W}" y="{y + 3}" width="{_BAR_W}" height="14" fill="#f3f4f6"/>'
            f'<rect x="{_LABEL_W}" y="{y + 3}" width="{bar}" height="14" '
            f'fill="{COLOURS[severity]}"/>'
            f'<text x="{_LABEL_W + _BAR_W + 8}" y="{y + 14}" fill="#111827">{n}</text>'
        )
    footer = f"{total} open" + (f", {waived} waived" if waived else "")
    out.append(
        f'<text x="{_LABEL_W}" y="{height - 6}" fill="#6b7280">{escape(footer)}</text></svg>'
    )
    return "".join(out)
