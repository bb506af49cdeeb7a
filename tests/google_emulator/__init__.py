"""A local emulator of the Google APIs cadence uses, served over real HTTP on loopback.

The real google-api-python-client and google-auth talk to it unchanged: clients
are built from the bundled discovery documents with ``rootUrl`` pointed at the
emulator, credentials get a ``token_uri`` at the emulator. It answers like
Google for Calendar v3 (events list/get/insert/patch/update/delete/instances,
incremental sync, recurrence, free/busy), Drive v3 (files.create with HTML
conversion to a Doc, files.get, files.export, permissions.create), Docs v1
(documents.create/get/batchUpdate), OAuth (refresh, authorization code with the
consent page, service-account JWT) and batches. Responses validate against the
discovery schemas (``schemas.validate_response``).

Public API (stable; tests rely on it)::

    with GoogleEmulator() as google:          # or .start() / .stop()
        google.root, google.token_uri, google.auth_uri
        google.now = datetime(..., tzinfo=UTC)  # settable clock (default: real UTC time)
        google.settings    # freebusy_max_days=62, freebusy_max_calendars=50,
                           # expansion_horizon=730 days (unbounded listings), batch_limits,
                           # access_token_lifetime=3599 s (on the emulator's clock)

        google.add_user("lea@example.com", timezone="Europe/Berlin")  # + primary calendar
        google.add_user(email, timezone, aliases=(...)); google.add_alias(email, alias)
        google.add_calendar(owner, "1:1s", timezone) -> secondary calendar id
        google.add_room("c_1@resource.calendar.google.com", "Room 4.01")  # accepts at once
        creds = google.user_credentials("lea@example.com", scopes=[...])  # refresh token
        calendar = google.service("calendar", "v3", creds)   # real client; also drive v3, docs v1
        google.service("calendar", "v3", None)  # a client sending no Authorization header
        google.client_secrets(path)            # installed-app secrets (auth/token URIs here)
        google.service_account_file(path)      # SA key; works with .with_subject(user)
        google.consent_user, google.deny_consent  # who the consent page signs in / refusal
        ConsentingBrowser()                    # a webbrowser whose user says yes

        # what people do in their calendars; not logged as calls
        google.create_event(calendar_id, body) -> dict
        google.cancel_instance(calendar_id, master_id, original_start)
        google.move_instance(calendar_id, master_id, original_start, new_start, new_end)
        google.delete_event(calendar_id, event_id)
        google.respond(calendar_id, event_id, attendee, "declined", instance_start=None)
        google.invalidate_sync_tokens(calendar_id)   # next incremental sync: 410
        google.hide_calendar(email)                  # free/busy: notFound
        google.create_document(owner, title, text)   # a Doc the app did not create
        google.add_comment(doc_id, quoted, text)     # "[a]" marks in the text export
        google.settings.id_only_cancellations = True # cancelled items: {"id", "status"}
        google.revoke(refresh_token_or_user); google.expire_access_tokens()

        # faults: the next `times` calls of a discovery method id ("calendar.events.list"),
        # "token", "auth" or "batch" answer an error in that API's own shape
        google.fail("calendar.events.list", 429, "rateLimitExceeded", times=1, retry_after=7)
        google.fail("drive.files.create", 503, after=True)  # done, yet answered 503

        # the call log: one Call per API call, inner batch calls included (in_batch=True),
        # the batch envelope as method_id "batch", the token endpoint as "token"
        google.calls, google.calls_to("calendar.events.patch"), google.reset_calls()

        # inspection
        google.events(calendar_id, include_cancelled=False)
        google.instances(calendar_id, master_id, start, end)
        google.documents(), google.document_text(doc_id), google.permissions(file_id)
        google.sent_notifications   # sendUpdates=all|externalOnly, with recipients

Error bodies follow each API: Calendar and Drive carry ``error.errors[0].reason``;
Docs (like Google's newer APIs) carries only ``code``, ``message`` and ``status``
(rate limits add an ErrorInfo detail); the token endpoint answers
``{"error", "error_description"}``.
"""

from .browser import ConsentingBrowser
from .emulator import CLIENT_ID, CLIENT_SECRET, DEFAULT_SCOPES, GoogleEmulator
from .state import Call, DrivePermission, Notification

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "DEFAULT_SCOPES",
    "Call",
    "ConsentingBrowser",
    "DrivePermission",
    "GoogleEmulator",
    "Notification",
]
