"""French plural in templates: 0 and 1 take the singular (Django's ``pluralize`` gives 0
the plural, as English does)."""

from __future__ import annotations

from html import escape
from typing import Any

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def fr_s(value: Any, suffix: str = "s") -> str:
    """« {{ n }} session{{ n|fr_s }} »: 0 session, 1 session, 2 sessions."""
    try:
        count = len(value) if isinstance(value, list | tuple | dict) else int(value)
    except (TypeError, ValueError):
        return ""
    return suffix if count > 1 else ""


@register.filter(name="de")
def de_filter(value: Any) -> str:
    """« Dépôts {{ name|de }} »: « de l'Institut… », « d'Horizons… » (core.text.de)."""
    from sofi_bulk.core.text import de

    return de(str(value))


@register.filter(name="article")
def article_filter(value: Any) -> str:
    """« pour {{ name|article }} »: « pour l'Institut… », « pour Horizons… »."""
    from sofi_bulk.core.text import article

    return article(str(value))


SEVERITY_LABELS = {"erreur": "✖ erreur"}  # anything else is a warning


@register.simple_tag
def problem_rows(lines: Any) -> str:
    """The rows of the report's table of problems, every value escaped: one Python loop with
    the standard library's escape (Django's, lazy-aware, costs five times more) instead of a
    template loop, which took most of a long report page's time (500 rows a page)."""
    rows = []
    for line in lines:
        severity, where, message, code = (
            escape(str(v)) for v in (line.severity, line.where, line.message, line.code)
        )
        label = SEVERITY_LABELS.get(line.severity, "⚠ avertissement")
        rows.append(
            f'<tr class="{severity}"><td>{label}</td><td class="cellule">{where}</td>'
            f"<td>{message}</td><td><code>{code}</code></td></tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every value above is escaped
