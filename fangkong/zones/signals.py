"""Signals the zones app sends for the apps above it (which connect in their ready()):
zones never imports them."""

from django.dispatch import Signal

# sent inside the transaction that recorded a confirmed case: sender=ZoneCase, case=, actor=;
# a receiver may return a renderable the case message says after the procedure (services:
# the terminal disinfection's time and team), or None
case_recorded = Signal()

# sent inside the publishing transaction, once per publication (a retry, a second tap or the
# worker's run finds the adjustment published and sends nothing): sender=Adjustment,
# adjustment=, actor=, messages=[{users, kind, title, body, url, place, key}] — who is told
# what (`telling.messages`: renderables, said in each reader's language). The notify app
# connects it (notify.apps) and queues each message as it queues every other.
tell = Signal()
