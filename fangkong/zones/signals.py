"""Signals the zones app sends for the apps above it (which connect in their ready()):
zones never imports them."""

from django.dispatch import Signal

# sent inside the transaction that recorded a confirmed case: sender=ZoneCase, case=, actor=
case_recorded = Signal()
