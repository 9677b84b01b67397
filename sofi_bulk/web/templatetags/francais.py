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
