"""The review console: reviewers sign in, work the queue of held requests and decide them.

It owns HTML pages only (Jinja2 templates in ``stateline/web/templates/console``, partials named
``_*.html`` for HTMX, assets served from ``stateline/web/static``, no CDN). It calls the
``ReviewService`` and the ``AccountStore`` and holds no review rule of its own: who may decide
what is ``stateline.node.review.model``'s table. Pages carry personal data, so every response is
no-store, framed by nobody and sent only to a signed-in session; the application log gets
message ids and usernames (sign-in events: the account's reference), never a query field.
Times are shown on the node's state's clock (``zones``).
"""

from stateline.web.console.router import console_router

__all__ = ["console_router"]
