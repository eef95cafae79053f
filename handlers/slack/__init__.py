"""Slack chat-ops: thin Bolt listeners (one module per area, each with ``register``) and the channel notifier.

``register_all(app, ops)`` wires every area into a ``slack_bolt.App``: the ``/cmrt`` command, the buttons, the
modals (``/cmrt rollup``'s product list among them) and the App Home. ``SlackNotifier``
(``handlers.slack.notifier``) posts the channel updates and ``send_digest_if_due`` (``handlers.slack.digest``)
the digest.
"""

from __future__ import annotations

from slack_bolt import App

from handlers.slack import actions, command, home, mail_actions, review_actions, rollup, views
from handlers.slack.deps import ChatOps


def register_all(app: App, ops: ChatOps) -> home.PublishCache:
    command.register(app, ops)
    actions.register(app, ops)
    views.register(app, ops)
    mail_actions.register(app, ops)
    review_actions.register(app, ops)
    rollup.register(app, ops)
    return home.register(app, ops)
