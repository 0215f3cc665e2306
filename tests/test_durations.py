"""Durations and sizes as written in edgehooks.toml."""

from __future__ import annotations

import pytest

from edgehooks.durations import parse_duration, parse_size


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("500ms", 0.5),
        ("5s", 5),
        ("1.5s", 1.5),
        ("10m", 600),
        ("2h", 7200),
        ("1d", 86400),
        ("1w", 604800),
        ("1y", 31536000),
        (" 3 s ", 3),
        ("30", 30),
        (30, 30),
        (0.25, 0.25),
        (0, 0),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text, size",
    [
        ("20MB", 20 * 1024**2),
        ("20MiB", 20 * 1024**2),
        ("512KiB", 512 * 1024),
        ("512kb", 512 * 1024),
        ("1GB", 1024**3),
        ("1TiB", 1024**4),
        ("100B", 100),
        ("100", 100),
        (4096, 4096),
        ("1.5KiB", 1536),
    ],
)
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize(
    "parse, value, message",
    [
        (parse_duration, "5x", "unknown unit 'x' in '5x'; use one of ms, s, m, h, d, w, y"),
        (parse_duration, "fast", "expected a duration"),
        (parse_duration, "-1s", "expected a duration"),
        (parse_duration, -1, "-1 is negative"),
        (parse_duration, True, "expected a duration"),
        (parse_duration, "", "expected a duration"),
        (parse_size, "20 parsecs", "unknown unit 'parsecs'"),
        (parse_size, "1.5B", "'1.5B' is not a whole number of bytes"),
        (parse_size, [1], "expected a size"),
    ],
)
def test_bad_input_says_why(parse, value, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")):
        parse(value)
