"""Partial responses: the ``fields`` parameter every Google API accepts.

``fields=id,webViewLink`` keeps those keys; ``items(id,status),nextPageToken``
keeps ``id`` and ``status`` of every item; ``a/b`` is ``a(b)``; ``*`` keeps all.
"""

from __future__ import annotations

from typing import Any

Mask = dict[str, "Mask"]


def parse(spec: str) -> Mask:
    """The mask tree for ``spec``; raise ValueError on unbalanced parentheses."""
    mask, rest = _items(spec.replace(" ", ""))
    if rest:
        raise ValueError(f"Invalid field selection {spec}")
    return mask


def apply(value: Any, mask: Mask) -> Any:
    """``value`` reduced to what ``mask`` selects (lists are masked item by item)."""
    if not mask or ("*" in mask and len(mask) == 1):
        return value
    if isinstance(value, list):
        return [apply(item, mask) for item in value]
    if not isinstance(value, dict):
        return value
    keep = value.keys() if "*" in mask else mask.keys()
    return {k: apply(value[k], mask.get(k, {})) for k in keep if k in value}


def _items(text: str) -> tuple[Mask, str]:
    mask: Mask = {}
    while text:
        name_end = len(text)
        for stop in ",()":
            found = text.find(stop)
            if found != -1:
                name_end = min(name_end, found)
        path, text = text[:name_end], text[name_end:]
        leaf = _path(mask, path)
        if text.startswith("("):
            inner, text = _items(text[1:])
            if not text.startswith(")"):
                raise ValueError("Invalid field selection: missing ')'")
            leaf.update(inner)
            text = text[1:]
        if text.startswith(")"):
            return mask, text
        text = text.removeprefix(",")
    return mask, text


def _path(mask: Mask, path: str) -> Mask:
    node = mask
    for name in path.split("/"):
        node = node.setdefault(name, {})
    return node
