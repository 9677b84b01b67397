"""French plural in templates: 0 and 1 take the singular (Django's ``pluralize`` gives 0
the plural, as English does)."""

from __future__ import annotations

from typing import Any

from django import template

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
