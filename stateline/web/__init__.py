"""The web: the FastAPI application that agencies (and later reviewers and the public) reach.

``app`` builds the application around a running system; ``api`` holds the JSON API for agencies:
submit a message in text or JSON form, fetch its replies, list the agency's own messages. Routes
call the exchange service and never hold rules of their own.
"""
