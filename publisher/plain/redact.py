"""Finding the API key in text a server sends back, however it is spelled.

A server or proxy that echoes the key rarely echoes it byte for byte: it may change its
case, escape it for JSON (`\\u0070lainApiKey…`), percent-encode it, or put it in base64 (an
`Authorization: Bearer …` header logged as base64, say). :func:`key_pattern` matches all of
these, and any mix of them, so that the key never reaches an error message or a log.

The pattern holds the key itself: never show it, store it on an object or log it.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache

#: Below this length a key's encoded forms are too short to tell from other text.
_MIN_ENCODED = 8


def _one_character(char: str) -> str:
    """A pattern for one character of the key in any spelling a server may give it, in
    either case (the pattern ignores case; an escape of the other case is another code)."""
    spellings = [re.escape(char)]
    for variant in dict.fromkeys((char, char.lower(), char.upper())):
        if len(variant) != 1:
            continue
        code = ord(variant)
        if code < 0x10000:
            spellings.append(rf"\\u{code:04x}")  # JSON (and JavaScript) escapes
        if code < 0x100:
            spellings += [
                rf"%{code:02x}",  # percent-encoding
                rf"\\x{code:02x}",  # Python and C escapes
                rf"&#0*{code};",  # HTML character references
                rf"&#x0*{code:x};",
            ]
    if not char.isalnum():
        spellings.append(rf"\\{re.escape(char)}")  # `\/` and the like
    return "(?:" + "|".join(dict.fromkeys(spellings)) + ")"


def _base64_cores(data: bytes) -> set[str]:
    """The base64 and base64url text that every encoding of `data` shows, wherever `data`
    sits in what was encoded (`Bearer <key>`, `user:<key>`): one core per alignment."""
    cores: set[str] = set()
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + data).decode("ascii")
        first = -(-8 * offset // 6)  # the first character made of the data's bits only
        last = 8 * (offset + len(data)) // 6
        core = encoded[first:last]
        if len(core) >= _MIN_ENCODED:
            cores.add(core)
            cores.add(core.replace("+", "-").replace("/", "_"))
    return cores


@lru_cache(maxsize=4)
def _patterns(key: str) -> tuple[re.Pattern[str], re.Pattern[str], tuple[str, ...]]:
    """(the key spelled character by character, that or any encoded form, and the encoded
    forms and the key as lowercase literals, for a quick look before either pattern)."""
    spelled = "".join(_one_character(char) for char in key)
    encoded: set[str] = set()
    if len(key) >= _MIN_ENCODED:
        for variant in {key, key.lower(), key.upper()}:
            raw = variant.encode("utf-8")
            encoded |= _base64_cores(raw)
            encoded.add(raw.hex())
    # Longest first, so that a longer spelling is redacted whole.
    literals = sorted(encoded, key=len, reverse=True)
    everything = "|".join([spelled, *(re.escape(text) for text in literals)])
    lowered = tuple(dict.fromkeys(text.lower() for text in [key, *literals]))
    return (
        re.compile(spelled, re.IGNORECASE),
        re.compile(everything, re.IGNORECASE),
        lowered,
    )


def key_pattern(key: str) -> re.Pattern[str]:
    """Matches `key` as it is, in any case, JSON-escaped, percent-encoded (or a mix of these,
    character by character), and in base64, base64url or hex (of the key in its own, lower or
    upper case, alone or inside a longer encoded text such as `Bearer <key>`)."""
    return _patterns(key)[1]


#: The escapes `_one_character` spells a character with, matched where one starts, and the
#: code each stands for (one group per form).
_ESCAPES = re.compile(
    r"\\[uU]([0-9a-fA-F]{4})"
    r"|\\[xX]([0-9a-fA-F]{2})"
    r"|%([0-9a-fA-F]{2})"
    r"|&#[xX]0*([0-9a-fA-F]{1,6});"
    r"|&#0*([0-9]{1,7});"
    r"|\\([^0-9A-Za-z])"
)
_ESCAPE_STARTS = ("\\", "%", "&#")
#: The characters beyond ASCII that a case-insensitive pattern takes for an ASCII letter
#: (İ ı for i, ſ for s, the Kelvin sign for k): without them in a text, the key is in it in
#: some case only if its lowercase form is in the text's.
_FOLDING_TO_ASCII = ("\u0130", "\u0131", "\u017f", "\u212a")


@lru_cache(maxsize=4)
def _escape_targets(key: str) -> tuple[frozenset[int], re.Pattern[str]]:
    """(the codes an escape in a spelling of `key` can stand for, and the key as it is in
    any case, for text whose escapes stand for none of them)."""
    codes = {
        ord(variant)
        for char in key
        for variant in (char, char.lower(), char.upper())
        if len(variant) == 1
    }
    return frozenset(codes), re.compile(re.escape(key), re.IGNORECASE)


def _escapes_spell_key(text: str, codes: frozenset[int]) -> bool:
    """Whether an escape in `text` stands for a character of the key. Each place an escape
    could start is looked at with `str.find` (a regular expression scanning for them takes
    longer than all the rest of the redaction)."""
    for start in _ESCAPE_STARTS:
        position = text.find(start)
        while position != -1:
            match = _ESCAPES.match(text, position)
            if match is not None:
                form = match.lastindex or 0
                group = match.group(form)
                code = ord(group) if form == 6 else int(group, 10 if form == 5 else 16)
                if code in codes:
                    return True
            position = text.find(start, position + 1)
    return False


def redact(text: str, key: str, replacement: str) -> str:
    """`text` with every spelling of `key` (see :func:`key_pattern`) replaced.

    Quick for text without the key (a page of article HTML, say): a case-insensitive search
    for the key and its encoded forms, and the character-by-character pattern only when the
    text has an escape (`\\`, `%`, `&#`) that stands for a character of the key. Article HTML
    is full of escapes (`&#x27;`, `100%`) that stand for none, and there the key can only be
    spelled as it is, in some case; the character-by-character pattern tries a dozen
    spellings at every place, and took most of the time of reading a help center."""
    if not text or not key:
        return text
    spelled, everything, literals = _patterns(key)
    lowered = text.lower()
    if any(literal in lowered for literal in literals):
        return everything.sub(replacement, text)
    if "\\" in text or "%" in text or "&#" in text:
        codes, as_it_is = _escape_targets(key)
        if _escapes_spell_key(text, codes):
            return spelled.sub(replacement, text)
        if key.isascii() and not any(char in text for char in _FOLDING_TO_ASCII):
            return text  # the key's lowercase form is not in the text's (above)
        return as_it_is.sub(replacement, text)
    return text
