"""Template helpers that apply the masking rules: identifiers shown only as the scope allows."""

from django import template

from fangkong.accounts.roles import Perm
from fangkong.core import pii

register = template.Library()


@register.simple_tag(takes_context=True)
def phone(context, obj, value=None):
    """The phone in clear (as a tel: link) for roles that need it, masked otherwise."""
    value = obj.phone if value is None else value
    if not value:
        return ""
    scope = context["request"].scope
    if scope.allows(Perm.VIEW_PHONE, obj):
        from django.utils.html import format_html

        return format_html('<a class="tel" href="tel:{}">{}</a>', value, value)
    return pii.mask_phone(value)


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
def has_role(scope, role):
    """{% if scope|has_role:"volunteer" %}"""
    return bool(scope) and scope.has_role(role)
