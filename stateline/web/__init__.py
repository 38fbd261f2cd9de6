"""The web: the FastAPI application that agencies, reviewers, auditors and residents reach.

``app`` builds the application around a running system; ``api`` holds the JSON API for agencies:
submit a message in text or JSON form, fetch its replies, list the agency's own messages;
``console`` is the review console and the auditor's dashboard; ``resident`` the resident's view;
``witness`` the hub's cosigning endpoint. Routes call the services and type against ports
(``console.ports``, ``resident.access.Codes``, ``api.Sent``); they never hold rules of their
own, and never open a store: whoever serves them hands the stores in.
"""
