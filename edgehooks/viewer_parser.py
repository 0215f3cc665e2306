"""Parsing viewers' requests: llhttp, aiohttp's C parser, with the pure-Python one as its fallback.

A CDN must forward any method token to the origin, as CloudFront does, but llhttp knows only a
fixed list of methods (PURGE works, FOO does not). The pure-Python parser accepts them all and
costs ~50 µs more per request (bench/README.md), so a connection starts on llhttp and moves to
the Python parser, for good, at the first request whose method llhttp refuses.

The move replays the chunk llhttp refused, which is right when that chunk begins a request: the
requests before it on the connection are complete (llhttp says nothing of where it stopped, so
that is the test). A viewer that pipelines a request split inside its method could have its own
later requests misread; that hurts no one else, as each request goes to the origin on its own.

Either way every malformed message is a parse error: URL parsing (yarl) raises IndexError or
ValueError on some absolute-form targets, and aiohttp treats only its own exceptions as a bad
request, so those would drop the connection with a traceback instead of answering 400.
"""

from __future__ import annotations

from aiohttp import http_exceptions, http_parser

_NOT_A_URL = (ValueError, IndexError, TypeError)


def _bad_target(error: Exception) -> http_exceptions.InvalidURLError:
    return http_exceptions.InvalidURLError(f"malformed request target: {error}")


class PythonParser(http_parser.HttpRequestParserPy):
    """aiohttp's pure-Python request parser, with every malformed message a parse error."""

    def parse_message(self, lines):  # type: ignore[override]
        try:
            return super().parse_message(lines)
        except http_exceptions.HttpProcessingError:
            raise
        except _NOT_A_URL as e:
            raise _bad_target(e) from None


class ViewerRequestParser:
    """Takes the place of aiohttp's HttpRequestParser in web_protocol (same constructor)."""

    def __init__(self, *args, **kwargs):
        self._args, self._kwargs = args, kwargs
        self._parser = http_parser.HttpRequestParserC(*args, **kwargs)
        self._fallen_back = False
        self._last_body = None  # the payload of the last request llhttp produced

    def feed_data(self, data: bytes):
        if self._fallen_back:
            return self._parser.feed_data(data)
        between_requests = self._last_body is None or self._last_body.is_eof()
        try:
            messages, upgraded, tail = self._parser.feed_data(data)
        except http_exceptions.BadHttpMethod:
            if not between_requests:
                raise
            self._parser = PythonParser(*self._args, **self._kwargs)
            self._fallen_back = True
            return self._parser.feed_data(data)
        except http_exceptions.HttpProcessingError:
            raise
        except _NOT_A_URL as e:
            raise _bad_target(e) from None
        if messages:
            self._last_body = messages[-1][1]
        return messages, upgraded, tail

    def __getattr__(self, name: str):
        return getattr(self._parser, name)
