"""Cache directives as a shared cache reads them: Cache-Control (RFC 9111 §5.2) and the targeted
fields CDN-Cache-Control / Edgehooks-CDN-Cache-Control (RFC 9213), as pure functions.

Every reader returns the same shape, a dict of lower-case directive name → argument (None for a
bare directive), so the freshness and storability rules do not care which field spoke.
"""

from __future__ import annotations

import re

from ..messages import Headers, get_all

Directives = dict[str, str | None]

# RFC 9213 §2.2: the most specific targeted field present wins; edgehooks' own comes first.
TARGETED_FIELDS = ("edgehooks-cdn-cache-control", "cdn-cache-control")

# RFC 9111 §1.2.2: a delta-seconds too large to represent is taken as 2^31.
DELTA_SECONDS_MAX = 2**31

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def split_list(value: str) -> list[str]:
    """The elements of a #list field value (RFC 9110 §5.6.1): commas inside quoted strings do
    not split, whitespace around elements is dropped, empty elements are skipped."""
    elements, current, quoted, escaped = [], [], False, False
    for char in value:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            elements.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    elements.append("".join(current).strip())
    return [e for e in elements if e]


def unquote(value: str) -> str | None:
    """A quoted-string's content (RFC 9110 §5.6.4), or None when `value` is not one."""
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return None
    return re.sub(r"\\(.)", r"\1", value[1:-1])


def parse_cache_control(values: list[str]) -> Directives:
    """Cache-Control field lines → directives (RFC 9111 §5.2).

    Names are case-insensitive; an argument may be a token or a quoted string (a phrase inside
    quotes is never a directive). The first occurrence of a directive wins (§4.2.1). Whitespace
    around "=" is not allowed by the grammar: such a directive keeps its name with an empty,
    hence invalid, argument, so a "max-age =60" makes the response stale rather than fresh.
    """
    directives: Directives = {}
    for value in values:
        for element in split_list(value):
            name, sep, arg = element.partition("=")
            if sep and (name != name.rstrip() or arg != arg.lstrip()):
                name, arg = name.strip(), ""
            name = name.lower()
            if not _TOKEN.fullmatch(name) or name in directives:
                continue
            directives[name] = (unquote(arg) if arg.startswith('"') else arg) if sep else None
    return directives


def delta_seconds(value: str | None) -> int | None:
    """A delta-seconds argument (RFC 9111 §1.2.2), or None when absent or malformed."""
    if value is None or not value.isascii() or not value.isdigit():
        return None
    return min(int(value), DELTA_SECONDS_MAX)


def field_names(value: str | None) -> list[str]:
    """The field names of a qualified no-cache="a, b" or private="a" (RFC 9111 §5.2.2.4, §5.2.2.7)."""
    return [name.lower() for name in split_list(value or "")]


def response_directives(headers: Headers) -> tuple[Directives, bool]:
    """The directives that govern this cache, and whether they came from a targeted field.

    RFC 9213 §2.2: when a targeted field is present and valid, it alone applies; Cache-Control
    (and Expires) are ignored. An invalid targeted field is ignored as if absent (§2.1).
    """
    for name in TARGETED_FIELDS:
        lines = get_all(headers, name)
        if lines:
            parsed = parse_targeted(lines)
            if parsed is not None:
                return parsed, True
    return parse_cache_control(get_all(headers, "cache-control")), False


# --- RFC 9213 targeted fields: Structured Field dictionaries (RFC 8941 §3.2) ------------------

_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_INTEGER = re.compile(r"-?[0-9]{1,15}")
_DECIMAL = re.compile(r"-?[0-9]{1,12}\.[0-9]{1,3}")
_SF_TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
_STRING = re.compile(r'"(?:[ !#-\[\]-~]|\\["\\])*"')
_BYTES = re.compile(r":[A-Za-z0-9+/=]*:")
# Directives whose argument is delta-seconds: RFC 9213 §2.1 infers an Integer; other types are ignored.
_INTEGER_DIRECTIVES = frozenset({"max-age", "s-maxage", "stale-while-revalidate", "stale-if-error"})


class _Invalid(Exception):
    pass


def parse_targeted(values: list[str]) -> Directives | None:
    """A targeted field as an SF dictionary → directives, or None when it does not parse.

    Keys are matched case-insensitively like Cache-Control names (RFC 8941 would reject
    upper-case keys; origins write "Max-Age" and mean it). A directive whose value has the wrong
    type is dropped, as RFC 9213 §2.1 asks of values that violate the inferred constraints.
    """
    text = ",".join(values).strip(" \t")
    if not text or not text.isascii():
        return None
    try:
        members = _sf_dictionary(text)
    except _Invalid:
        return None
    directives: Directives = {}
    for key, item in members.items():
        if key in _INTEGER_DIRECTIVES:
            if isinstance(item, int) and not isinstance(item, bool) and item >= 0:
                directives[key] = str(item)
        elif item is True:
            directives[key] = None
        elif isinstance(item, list) and all(isinstance(i, str) for i in item):
            directives[key] = ", ".join(item)  # no-cache=("a" "b"): qualified by field names
        elif isinstance(item, (str, int)) and not isinstance(item, bool):
            directives[key] = str(item)
    return directives


def _sf_dictionary(text: str) -> dict[str, object]:
    members: dict[str, object] = {}
    pos = 0
    while pos < len(text):
        key = _match(_KEY, text.lower(), pos)
        pos += len(key)
        if pos < len(text) and text[pos] == "=":
            value, pos = _sf_member_value(text, pos + 1)
        else:
            value = True
        pos = _skip_parameters(text, pos)
        members[key] = value  # RFC 8941: a later duplicate key overwrites
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos == len(text):
            break
        if text[pos] != ",":
            raise _Invalid
        pos += 1
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos == len(text):
            raise _Invalid  # a trailing comma
    return members


def _sf_member_value(text: str, pos: int) -> tuple[object, int]:
    if pos < len(text) and text[pos] == "(":
        items, pos = [], pos + 1
        while True:
            while pos < len(text) and text[pos] == " ":
                pos += 1
            if pos < len(text) and text[pos] == ")":
                return items, pos + 1
            item, pos = _sf_item(text, pos)
            pos = _skip_parameters(text, pos)
            items.append(item)
            if pos >= len(text) or text[pos] not in " )":
                raise _Invalid
    return _sf_item(text, pos)


def _sf_item(text: str, pos: int) -> tuple[object, int]:
    for pattern, convert in ((_DECIMAL, float), (_INTEGER, int), (_STRING, lambda s: unquote(s)), (_SF_TOKEN, str), (_BYTES, str)):
        found = pattern.match(text, pos)
        if found and not (pattern is _INTEGER and text[found.end() : found.end() + 1].isdigit()):
            return convert(found.group()), found.end()
    if text.startswith(("?1", "?0"), pos):
        return text[pos + 1] == "1", pos + 2
    raise _Invalid


def _skip_parameters(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] == ";":
        pos += 1
        while pos < len(text) and text[pos] == " ":
            pos += 1
        key = _match(_KEY, text, pos)
        pos += len(key)
        if pos < len(text) and text[pos] == "=":
            _, pos = _sf_item(text, pos + 1)
    return pos


def _match(pattern: re.Pattern[str], text: str, pos: int) -> str:
    found = pattern.match(text, pos)
    if not found:
        raise _Invalid
    return found.group()
