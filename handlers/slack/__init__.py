"""Slack chat-ops: thin Bolt listeners (one module per area, each with ``register``) and the channel notifier."""
