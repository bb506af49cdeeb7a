"""Docs v1: documents.create, documents.get and documents.batchUpdate.

batchUpdate applies its requests in order and atomically (one invalid request
and none is applied), answering 400 ``Invalid requests[i].<kind>: <reason>`` in
Google's words. Supported: insertText (at ``location.index`` or
``endOfSegmentLocation``), deleteContentRange, updateParagraphStyle (only the
named style is kept) and createParagraphBullets / deleteParagraphBullets. Each
reply is ``{}`` as Google's are for these requests.
"""

from __future__ import annotations

import copy
from typing import Any

from .api import Ctx, Reply
from .documents import DocsError, Document
from .drive_api import DOC_TYPE, file_for, new_file, touch
from .errors import ApiError

_SUPPORTED = (
    "insertText",
    "deleteContentRange",
    "updateParagraphStyle",
    "createParagraphBullets",
    "deleteParagraphBullets",
)


def documents_create(ctx: Ctx) -> Reply:
    # Google ignores any content in the body: a new document is always empty.
    title = str(ctx.json().get("title") or "Untitled document")
    file = new_file(ctx, title, DOC_TYPE)
    document = Document(file.id, title)
    ctx.state.documents[file.id] = document
    return Reply(body=document.resource())


def documents_get(ctx: Ctx) -> Reply:
    return Reply(body=_document(ctx).resource())


def documents_batch_update(ctx: Ctx) -> Reply:
    document = _document(ctx)
    body = ctx.json()
    control = body.get("writeControl") or {}
    required = control.get("requiredRevisionId")
    if required is not None and required != document.revision_id:
        # A 400; Google's exact status and wording for a stale revision are unverified.
        raise ApiError(
            400,
            "failedPrecondition",
            "The required revision ID does not match the latest revision.",
            rpc_status=ctx.state.settings.stale_revision_status,
        )
    requests = body.get("requests") or []
    draft = copy.deepcopy(document)
    for number, request in enumerate(requests):
        _apply(draft, number, request)
    if requests:
        document.paragraphs = draft.paragraphs
        document.revision += 1
        touch(ctx.state, ctx.state.files[document.id])
    return Reply(
        body={
            "replies": [{} for _ in requests],
            "writeControl": {"requiredRevisionId": document.revision_id},
            "documentId": document.id,
        }
    )


def _document(ctx: Ctx) -> Document:
    file = file_for(ctx, ctx.args["documentId"], rpc=True)
    document = ctx.state.documents.get(file.id)
    if document is None:
        raise ApiError(400, "badRequest", "This operation is not supported for this document")
    return document


def _apply(document: Document, number: int, request: Any) -> None:
    kinds = [k for k in request if k in _SUPPORTED] if isinstance(request, dict) else []
    if not isinstance(request, dict) or len(request) != 1:
        raise _invalid(number, None, "Exactly one request kind must be set.")
    if not kinds:
        raise _invalid(number, None, f"google_emulator does not implement {next(iter(request))}.")
    kind = kinds[0]
    args = request[kind] or {}
    try:
        if kind == "insertText":
            _insert(document, args)
        elif kind == "deleteContentRange":
            start, end = _range(args)
            document.delete_range(start, end)
        else:
            _style(document, kind, args)
    except DocsError as error:
        raise _invalid(number, kind, str(error)) from None
    except (TypeError, ValueError, AttributeError):
        raise _invalid(number, kind, "Invalid value.") from None


def _insert(document: Document, args: dict[str, Any]) -> None:
    text = str(args.get("text") or "")
    if "endOfSegmentLocation" in args:
        document.insert_text(document.end_index - 1, text)
        return
    location = args.get("location") or {}
    document.insert_text(int(location.get("index", 0)), text)


def _style(document: Document, kind: str, args: dict[str, Any]) -> None:
    start, end = _range(args)
    paragraphs = document.paragraphs_in(start, end)
    if kind == "updateParagraphStyle":
        fields = str(args.get("fields") or "")
        style = (args.get("paragraphStyle") or {}).get("namedStyleType")
        if style and (fields == "*" or "namedStyleType" in fields.split(",")):
            for paragraph in paragraphs:
                paragraph.style = style
    else:
        for paragraph in paragraphs:
            paragraph.bullet = kind == "createParagraphBullets"


def _range(args: dict[str, Any]) -> tuple[int, int]:
    span = args.get("range") or {}
    return int(span.get("startIndex", 0)), int(span.get("endIndex", 0))


def _invalid(number: int, kind: str | None, reason: str) -> ApiError:
    where = f"requests[{number}]" + (f".{kind}" if kind else "")
    return ApiError(400, "invalid", f"Invalid {where}: {reason}")
