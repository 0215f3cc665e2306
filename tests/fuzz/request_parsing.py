"""Fuzz target: raw bytes from a viewer through the HTTP parser the proxy uses and its translation
to the pipeline's request. Runs under atheris (coverage-guided) and, for CI, under hypothesis
(tests/test_properties.py) with the same invariants.

    python3 tests/fuzz/request_parsing.py -atheris_runs=200000 CORPUS_DIR tests/fuzz/seeds

(libFuzzer writes what it finds to the first folder and reads seeds from the others.)

The invariants: bytes are either refused by the parser (its own exception types, which the server
turns into a 400 and a closed connection) or give requests whose target translates to a path that
starts with "/" and has no dot segments (or is refused as a BadTarget, a 400), whose header names
are tokens and whose values hold no CR, LF or NUL — the things request smuggling, path traversal
and header injection need.
"""

from __future__ import annotations

import asyncio
import re
import sys

from aiohttp import http_exceptions
from aiohttp.base_protocol import BaseProtocol

from edgehooks.server import ViewerParser
from edgehooks.target import BadTarget, split_target

_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_DOT_SEGMENT = re.compile(r"(^|/)(\.|%2e){1,2}(/|$)", re.IGNORECASE)

_loop = asyncio.new_event_loop()


def check(data: bytes) -> None:
    # The parser the server uses, with aiohttp's default limits.
    parser = ViewerParser(BaseProtocol(_loop), _loop, 2**16, max_line_size=8190, max_field_size=8190)
    try:
        messages, _, _ = parser.feed_data(data)
    except http_exceptions.HttpProcessingError:
        return
    for message, _payload in messages:
        for name, value in message.raw_headers:
            assert _TOKEN.fullmatch(name), f"header name {name!r} is not a token"
            assert not re.search(rb"[\r\n\x00]", value), f"header value {value!r} holds CR, LF or NUL"
        names = [name.lower() for name, _ in message.raw_headers]
        if b"transfer-encoding" in names:
            assert b"content-length" not in names, "Content-Length beside Transfer-Encoding was accepted"
        assert names.count(b"content-length") <= 1, "two Content-Lengths were accepted"
        try:
            path, query, _ = split_target(message.path)
        except BadTarget:
            continue
        assert path.startswith("/"), f"path {path!r} does not start with /"
        assert not _DOT_SEGMENT.search(path.rstrip("/") + "/"), f"path {path!r} keeps a dot segment"
        assert "#" not in query


def main() -> None:
    import atheris

    atheris.instrument_all()  # coverage guidance for the parser and edgehooks.target, already imported
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
