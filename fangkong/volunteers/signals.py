"""Signals the volunteers app sends to the apps above it (which it may not import)."""

from django.dispatch import Signal

# sent inside the transaction that added a volunteer to a team, once (not for one already in
# it): sender=Team, team=, volunteer=, actor=. Services tells her of the team's open work
# (`services.actions.team_news`).
member_joined = Signal()
