"""Writes of the zones app, by job: policy (presets, zone types), publish (notices,
adjustments: draft, schedule, publish), escalate (cases), lift (drafts from the lifting
recommendations), gate (checkpoint events, health-code observations)."""
