"""Google API plumbing shared by the Google calendar and the Google Docs agendas:
clients built from the bundled discovery documents with retries (``api``), and
authorization: OAuth token, service accounts (``auth``)."""
