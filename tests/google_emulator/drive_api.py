"""Drive v3: files.create (metadata only, or a multipart/media upload that Drive can
convert into a Google Doc), files.get, files.export and permissions.create.

Access mirrors Drive's: a user sees files they own or that are shared with them;
with only the ``drive.file`` scope an app sees just the files it created (others
answer 404 as if they did not exist). Without ``fields`` Drive answers a small
default set of fields (``kind, id, name, mimeType`` for files; ``kind, id, type,
role`` for permissions); with ``fields`` exactly those asked for.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from . import multipart
from .api import Ctx, Reply
from .documents import Document, from_html, from_text
from .errors import ApiError, invalid, required
from .state import DriveFile, DrivePermission, State
from .times import utc_millis

DOC_TYPE = "application/vnd.google-apps.document"
FOLDER_TYPE = "application/vnd.google-apps.folder"
SCOPE = "https://www.googleapis.com/auth/"
# Scopes that reach every file the user can open (not only those the app created).
WIDE_SCOPES = {
    SCOPE + name
    for name in ("drive", "drive.readonly", "documents", "documents.readonly", "drive.metadata")
}
FILE_DEFAULT = ("kind", "id", "name", "mimeType")
PERMISSION_DEFAULT = ("kind", "id", "type", "role")
_ROLES = {"owner", "organizer", "fileOrganizer", "writer", "commenter", "reader"}
_TYPES = {"user", "group", "domain", "anyone"}
_CONVERTIBLE = {"text/html", "text/plain"}


def files_create(ctx: Ctx) -> Reply:
    upload = ctx.param("uploadType")
    if upload is None:
        metadata, media_type, media = ctx.json(), None, b""
    elif upload == "multipart":
        metadata, media_type, media = _multipart(ctx)
    elif upload == "media":
        metadata, media_type, media = {}, ctx.request.header("Content-Type"), ctx.request.body
    else:
        raise invalid(f"google_emulator does not implement uploadType={upload}.", "uploadType")
    mime = str(metadata.get("mimeType") or media_type or "application/octet-stream")
    default_name = "Untitled document" if mime == DOC_TYPE else "Untitled"
    file = new_file(ctx, str(metadata.get("name") or default_name), mime)
    properties = metadata.get("appProperties") or {}
    file.app_properties = {str(k): str(v) for k, v in properties.items()}
    if mime == DOC_TYPE:
        ctx.state.documents[file.id] = _convert(file, media_type, media)
    else:
        file.content = media
    return Reply(body=file_view(ctx, file))


# The one query form the emulator answers: an appProperties match, optionally
# with "and trashed = false" (files are never trashed here).
_APP_PROPERTY = re.compile(
    r"^\s*appProperties\s+has\s*\{\s*key\s*=\s*'((?:[^'\\]|\\.)*)'\s+and\s+"
    r"value\s*=\s*'((?:[^'\\]|\\.)*)'\s*\}(?:\s+and\s+trashed\s*=\s*false)?\s*$"
)


def files_list(ctx: Ctx) -> Reply:
    """files.list for ``q="appProperties has {key='k' and value='v'}"``: the caller's
    visible files whose appProperties (set by this app) match."""
    query = ctx.param("q") or ""
    match = _APP_PROPERTY.match(query)
    if match is None:
        raise invalid(f"google_emulator does not implement q={query!r}.", "q")
    key, value = (re.sub(r"\\(.)", r"\1", g) for g in match.groups())
    found = [
        f
        for f in ctx.state.files.values()
        if visible(ctx.state, f, ctx.user, ctx.scopes, ctx.client_id)
        and f.created_by_client == ctx.client_id
        and f.app_properties.get(key) == value
    ]
    found.sort(key=lambda f: f.created)
    files = [file_resource(f, ctx.user) for f in found]
    if ctx.param("fields") is None:
        files = [{k: r[k] for k in FILE_DEFAULT if k in r} for r in files]
    return Reply(body={"kind": "drive#fileList", "incompleteSearch": False, "files": files})


def files_get(ctx: Ctx) -> Reply:
    file = file_for(ctx, ctx.args["fileId"])
    if ctx.param("alt") == "media":
        if file.mime_type.startswith("application/vnd.google-apps."):
            raise ApiError(
                403,
                "fileNotDownloadable",
                "Only files with binary content can be downloaded. Use Export with Docs "
                "Editors files.",
                location="alt",
            )
        return Reply(body=file.content, content_type=file.mime_type)
    return Reply(body=file_view(ctx, file))


def files_export(ctx: Ctx) -> Reply:
    file = file_for(ctx, ctx.args["fileId"])
    wanted = ctx.param("mimeType")
    if wanted is None:
        raise required("Required parameter: mimeType", location="mimeType")
    document = ctx.state.documents.get(file.id)
    if document is None:
        raise ApiError(403, "fileNotExportable", "Export only supports Docs Editors files.")
    if wanted == "text/plain":
        return Reply(body=document.export_text().encode(), content_type="text/plain; charset=UTF-8")
    # Other export formats (PDF, DOCX, HTML...) are not emulated.
    raise ApiError(
        400, "badRequest", "The requested conversion is not supported.", location="convertTo"
    )


def permissions_create(ctx: Ctx) -> Reply:
    file = file_for(ctx, ctx.args["fileId"])
    if not _can_share(ctx, file):
        raise ApiError(
            403,
            "insufficientFilePermissions",
            "The user does not have sufficient permissions for this file.",
        )
    body = ctx.json()
    kind, role = body.get("type"), body.get("role")
    if kind not in _TYPES:
        raise invalid("The permission type field is required.", location="permission.type")
    if role not in _ROLES:
        raise invalid("The permission role field is required.", location="permission.role")
    address = body.get("emailAddress")
    if kind in ("user", "group") and not address:
        raise required("The permission emailAddress field is required.", "permission.emailAddress")
    notify = ctx.flag("sendNotificationEmail", default=kind in ("user", "group"))
    if kind == "user" and not notify and ctx.state.user(str(address)) is None:
        # Drive shares silently only with Google accounts; anyone else must be told.
        raise ApiError(
            400,
            "invalidSharingRequest",
            f'Bad Request. User message: "You are trying to invite {address}. Since there is '
            "no Google account associated with this email address, you must check the "
            '"Notify people" box to invite this recipient."',
        )
    permission = DrivePermission(
        file_id=file.id,
        id=_permission_id(str(address)) if address else "anyoneWithLink",
        type=str(kind),
        role=str(role),
        email_address=str(address) if address else None,
        notified=notify,
        email_message=ctx.param("emailMessage"),
    )
    file.permissions.append(permission)
    resource: dict[str, Any] = {
        "kind": "drive#permission",
        "id": permission.id,
        "type": permission.type,
        "role": permission.role,
    }
    if permission.email_address:
        resource["emailAddress"] = permission.email_address
    return Reply(body=_fields(ctx, resource, PERMISSION_DEFAULT))


def new_file(ctx: Ctx, name: str, mime: str) -> DriveFile:
    """A file owned by the caller and created by the calling app."""
    now = ctx.state.clock.now()
    file = DriveFile(
        id=ctx.state.clock.file_id(),
        name=name,
        mime_type=mime,
        owner=ctx.user,
        created_by_client=ctx.client_id,
        created=now,
        modified=now,
    )
    ctx.state.files[file.id] = file
    return file


def file_for(ctx: Ctx, file_id: str, *, rpc: bool = False) -> DriveFile:
    """The file if this caller may see it; otherwise 404, as Drive hides what you cannot see."""
    file = ctx.state.files.get(file_id)
    if file is None or not visible(ctx.state, file, ctx.user, ctx.scopes, ctx.client_id):
        if rpc:
            raise ApiError(404, "notFound", "Requested entity was not found.")
        raise ApiError(404, "notFound", f"File not found: {file_id}.", location="fileId")
    return file


def visible(state: State, file: DriveFile, user: str, scopes: frozenset[str], client: str) -> bool:
    shared = {p.email_address.lower() for p in file.permissions if p.email_address}
    allowed = file.owner.lower() == user.lower() or user.lower() in shared
    allowed = allowed or any(p.type == "anyone" for p in file.permissions)
    return allowed and (bool(scopes & WIDE_SCOPES) or file.created_by_client == client)


def file_view(ctx: Ctx, file: DriveFile) -> dict[str, Any]:
    """The File resource, reduced to Drive's default fields unless ``fields`` is given."""
    return _fields(ctx, file_resource(file, ctx.user), FILE_DEFAULT)


def file_resource(file: DriveFile, viewer: str) -> dict[str, Any]:
    mine = file.owner.lower() == viewer.lower()
    resource: dict[str, Any] = {
        "kind": "drive#file",
        "id": file.id,
        "name": file.name,
        "mimeType": file.mime_type,
        "starred": False,
        "trashed": False,
        "explicitlyTrashed": False,
        "spaces": ["drive"],
        "version": str(file.version),
        "webViewLink": _web_link(file),
        "iconLink": f"https://drive-thirdparty.googleusercontent.com/16/type/{file.mime_type}",
        "createdTime": utc_millis(file.created),
        "modifiedTime": utc_millis(file.modified),
        "ownedByMe": mine,
        "owners": [
            {
                "kind": "drive#user",
                "displayName": file.owner.split("@")[0],
                "me": mine,
                "permissionId": _permission_id(file.owner),
                "emailAddress": file.owner,
            }
        ],
        "shared": bool(file.permissions),
    }
    if not file.mime_type.startswith("application/vnd.google-apps."):
        resource["size"] = str(len(file.content))
        resource["md5Checksum"] = hashlib.md5(file.content, usedforsecurity=False).hexdigest()
    return resource


def touch(state: State, file: DriveFile) -> None:
    file.modified = state.clock.now()
    file.version += 1


def _fields(ctx: Ctx, resource: dict[str, Any], default: tuple[str, ...]) -> dict[str, Any]:
    if ctx.param("fields") is not None:
        return resource  # the server applies the field mask to the whole resource
    return {k: resource[k] for k in default if k in resource}


def _web_link(file: DriveFile) -> str:
    if file.mime_type == DOC_TYPE:
        return f"https://docs.google.com/document/d/{file.id}/edit?usp=drivesdk"
    if file.mime_type == FOLDER_TYPE:
        return f"https://drive.google.com/drive/folders/{file.id}"
    return f"https://drive.google.com/file/d/{file.id}/view?usp=drivesdk"


def _can_share(ctx: Ctx, file: DriveFile) -> bool:
    if file.owner.lower() == ctx.user.lower():
        return True
    writers = {
        p.email_address.lower() for p in file.permissions if p.role == "writer" and p.email_address
    }
    return ctx.user.lower() in writers


def _permission_id(address: str) -> str:
    """Drive's permission id for a user: the same number on every file."""
    return str(int(hashlib.sha256(address.lower().encode()).hexdigest()[:16], 16))[:20]


def _multipart(ctx: Ctx) -> tuple[dict[str, Any], str | None, bytes]:
    """The metadata and media parts of a multipart/related upload."""
    parts = multipart.split(ctx.request.header("Content-Type") or "", ctx.request.body)
    if len(parts) != 2:
        raise ApiError(400, "badContent", "Multipart upload needs a metadata and a media part.")
    meta_part, media_part = parts
    try:
        metadata = json.loads(multipart.content(meta_part) or b"{}")
    except ValueError:
        raise ApiError(400, "parseError", "Parse Error") from None
    if not isinstance(metadata, dict):
        raise ApiError(400, "parseError", "Parse Error")
    return metadata, media_part.get_content_type(), multipart.content(media_part)


def _convert(file: DriveFile, media_type: str | None, media: bytes) -> Document:
    """A Google Doc from an upload, as Drive converts HTML and plain text."""
    if not media:
        return Document(file.id, file.name)
    if media_type not in _CONVERTIBLE:
        # Drive converts more (DOCX, RTF, ODT...); the emulator only HTML and text.
        raise ApiError(400, "badRequest", f"google_emulator cannot convert {media_type}.")
    text = media.decode("utf-8", errors="replace")
    if media_type == "text/html":
        return from_html(file.id, file.name, text)
    return from_text(file.id, file.name, text)
