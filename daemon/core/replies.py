"""What the owner wrote back to a proposal: a slot number, ``dismiss``, or else.

A reply is read top-down like a person reads it: first what the sender wrote
now, without what they quote (``>`` lines, "On … wrote:" and its translations,
Outlook's "From: … Sent: …" block or "-----Original Message-----", a line of
underscores) and without signatures (``-- ``, "Sent from my iPhone" and the
like). Its first line that is not a greeting is the answer. It is understood
only when it says nothing but a choice: ``2``, ``slot 2``, ``#2``, ``option
2, thanks``, ``dismiss``. Anything else ("2 pm?", "not 2") is not understood,
and cadence says so instead of guessing. Text that is only quoted never acts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

_LIMIT = 100_000  # characters read of a body: a choice is on its first lines
_SAID = 100  # characters of the answer line repeated back to the owner

# The word for "wrote" in the attribution line clients put above a quote:
# Gmail, Apple Mail, Thunderbird, in the languages they are used in most.
_WROTE = re.compile(
    r"\b(wrote|schrieb|a écrit|écrit|escribió|ha scritto|scritto|schreef|escreveu|skrev"
    r"|napisał|napisała|pisze|kirjoitti|írta|yazdı)\b|написал|写道|のメッセージ",
    re.IGNORECASE,
)
_FORWARDED = re.compile(
    r"^(begin forwarded message:|-{2,}\s*forwarded message\s*-{2,})", re.IGNORECASE
)
# "-----Original Message-----", "-----Ursprüngliche Nachricht-----", ...
_SEPARATOR = re.compile(r"^-{3,}\s*\S.*\S\s*-{3,}$")
_UNDERSCORES = re.compile(r"^_{10,}$")
_FROM = re.compile(
    r"^\*?(from|von|de|da|van|от|från|fra|od|lähettäjä|feladó|kimden)\s*:\*?\s*\S",
    re.IGNORECASE,
)
_SENT = re.compile(
    r"^\*?(sent|date|gesendet|datum|envoyé|enviado|inviato|data|verzonden|отправлено"
    r"|skickat|sendt|wysłano|lähetetty|elküldve|gönderildi|to|an|à|para|a|aan|кому)"
    r"(\s+(el|le|on))?\s*:",
    re.IGNORECASE,
)
_MOBILE = re.compile(
    r"^(sent from|sent with|sent via|sent using|get outlook for|von meinem|gesendet von"
    r"|envoyé de|enviado desde|enviado do|inviato da|verzonden (vanaf|met)|skickat från"
    r"|sendt fra)\b",
    re.IGNORECASE,
)
_GREETING = re.compile(
    r"^(hi|hello|hey|dear|hallo|moin|bonjour|salut|hola|ciao|hej)\b[^.!?:]{0,40}[,!]?$",
    re.IGNORECASE,
)
_WORDS = {"one": 1, "two": 2, "three": 3}
_BOOK = re.compile(
    r"^(?:(?:ok|okay|yes)[,!.]?\s+)?"
    r"(?:(?:let'?s\s+(?:do|take|go\s+with)|i'?ll\s+take|take|book|go\s+with|choose|pick)\s+)?"
    r"(?:(?:slot|option|number|nr\.?|no\.?)\s*)?#?\s*(\d{1,2}|one|two|three)"
    r"(?:\s*[.)!,])?"
    r"(?:\s+(?:please|pls|thanks|thank\s+you|works(?:\s+for\s+me)?|is\s+(?:fine|good|great)"
    r"|sounds\s+good|ok|okay)[.!,]*)*$"
)
_DISMISS = re.compile(
    r"^(?:please\s+)?dismiss(?:\s+(?:it|this|this\s+proposal|the\s+proposal|please|thanks))*"
    r"[.!]*$"
)


class Verb(StrEnum):
    BOOK = "book"
    DISMISS = "dismiss"
    UNCLEAR = "unclear"


@dataclass(frozen=True)
class Choice:
    """What a reply says: book ``slot`` (1-based), dismiss, or nothing understood;
    ``said`` is the line it was read from (shortened), "" when there was none."""

    verb: Verb
    slot: int | None = None
    said: str = ""


def _is_attribution(line: str) -> bool:
    return line.endswith((":", "：")) and _WROTE.search(line) is not None and len(line) < 400


def _header_block_at(lines: list[str], i: int) -> bool:
    """Whether an Outlook-style header block (From: then Sent:/Date:/To:) starts at i."""
    if not _FROM.match(lines[i]):
        return False
    return any(_SENT.match(line) for line in lines[i + 1 : i + 5])


def fresh_text(text: str) -> str:
    """Given the text of a reply, return what its sender wrote now: quoted lines,
    attributions, quoted originals and signatures removed."""
    lines = [line.rstrip() for line in text[:_LIMIT].replace("\r\n", "\n").split("\n")]
    bares = [line.strip() for line in lines]
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line, bare = lines[i], bares[i]
        if line == "-- " or bare == "--" or _MOBILE.match(bare):
            break  # a signature: nothing after it is the answer
        if _SEPARATOR.match(bare) or _UNDERSCORES.match(bare) or _FORWARDED.match(bare):
            break  # Outlook's quoted original (or a forward) follows, unquoted
        if _header_block_at(bares, i):
            break
        if bare.startswith(">"):
            i += 1
            continue
        if _is_attribution(bare):
            i += 1
            continue
        # Gmail wraps a long attribution over two lines.
        if i + 1 < len(lines) and _is_attribution(f"{bare} {bares[i + 1]}"):
            following = bares[i + 2] if i + 2 < len(lines) else ""
            if not following or following.startswith(">"):
                i += 2
                continue
        kept.append(line)
        i += 1
    return "\n".join(kept).strip()


def _normal(line: str) -> str:
    # NFKC makes a full-width "２" a 2; quotes and emphasis around a choice go.
    plain = unicodedata.normalize("NFKC", line).casefold()
    return " ".join(plain.split()).strip(" \t\"'`*_~“”‘’«»")


def read_choice(text: str) -> Choice:
    """Given the text of a reply, return the choice its fresh text makes."""
    for line in fresh_text(text).split("\n"):
        bare = " ".join(line.split())
        if not bare or _GREETING.match(bare):
            continue
        said = bare if len(bare) <= _SAID else bare[: _SAID - 1] + "…"
        normal = _normal(bare)
        if _DISMISS.match(normal):
            return Choice(Verb.DISMISS, said=said)
        found = _BOOK.match(normal)
        if found:
            word = found.group(1)
            return Choice(Verb.BOOK, _WORDS.get(word) or int(word), said)
        return Choice(Verb.UNCLEAR, said=said)
    return Choice(Verb.UNCLEAR)
