"""Writes of the services app, one module per job: catalogue, orders, handoff (the
checkpoint), delivery (runs and doors), requests, care (pets, check-ins), disinfection."""
