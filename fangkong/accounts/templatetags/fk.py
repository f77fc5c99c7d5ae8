"""Template helpers that apply the masking rules: identifiers shown only as the scope allows
(audit.disclosure decides; the view audits what its list showed in clear)."""

from django import template
from django.utils.html import format_html

from fangkong.accounts.roles import Perm
from fangkong.audit.disclosure import show_phone

register = template.Library()


@register.simple_tag(takes_context=True)
def phone(context, obj, value=None):
    """The phone in clear (as a tel: link) for roles that need it, masked otherwise."""
    value = obj.phone if value is None else value
    if not value:
        return ""
    text, masked = show_phone(context["request"].scope, obj, value)
    if masked:
        return text
    return format_html('<a class="tel" href="tel:{}">{}</a>', text, text)


@register.simple_tag
def tel(value):
    """A phone already decided shown in clear (and audited) by `audit.disclosure`
    (`phones_shown`), as a tel: link; nothing for none."""
    if not value:
        return ""
    return format_html('<a class="tel" href="tel:{}">{}</a>', value, value)


@register.filter
def can(scope_and_perm, obj):
    scope, perm = scope_and_perm
    return scope.allows(Perm(perm), obj)


@register.filter
def with_perm(scope, perm):
    return (scope, perm)


@register.filter
def get(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def has_perm(scope, perm):
    """{% if scope|has_perm:"notify.manage" %}: the user holds the permission somewhere."""
    return bool(scope) and scope.has(Perm(perm))


@register.filter
def has_places(scope):
    """{% if scope|has_places %}: the user works on places of the registry (staff, grid
    workers, leaders, command), not only on their own household or their own tasks."""
    return bool(scope) and bool(scope.roots(Perm.VIEW_REGISTRY))


@register.filter
def manages_people(scope):
    """{% if scope|manages_people %}: the people page opens for the user (accounts.access)."""
    from fangkong.accounts.access import may_open_people_page

    return bool(scope) and may_open_people_page(scope)


@register.filter
def has_role(scope, role):
    """{% if scope|has_role:"volunteer" %}"""
    return bool(scope) and scope.has_role(role)


@register.filter
def names_day(text, when):
    """Whether a name already says the day `when` (`core.when.names_day`): "12月8日 抗原自测"
    is not followed by "12-08" again."""
    from fangkong.core.when import names_day as says

    return bool(when) and says(text or "", when)


@register.filter
def until(start, end):
    """"12-06 13:27–15:00" ("6 Dec 13:27–15:00" in English: `core.when`), or with the end's
    date when it is another day ("12-06 22:00–12-07 02:00"): a night shift never reads as
    ending before it began (found walking the demo)."""
    from fangkong.core.when import short_span

    return short_span(start, end) if start and end else ""


@register.filter
def words(items):
    """{{ v.skill_labels|words }}: a list in running text as the page's language writes it
    ("、" in Chinese, ", " in English; core.text.join_words)."""
    from fangkong.core.text import join_words

    return join_words(items or ())
