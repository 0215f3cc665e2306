"""CloudFront path patterns and first-match behavior selection."""

from __future__ import annotations

import pytest

from edgehooks.distribution import Behavior
from edgehooks.paths import matches, select


@pytest.mark.parametrize(
    "pattern, uri, expected",
    [
        ("*", "/", True),
        ("*", "/any/thing.html", True),
        ("/images/*.jpg", "/images/cat.jpg", True),
        ("/images/*.jpg", "/images/2024/cat.jpg", True),  # "*" crosses "/"
        ("/images/*.jpg", "/images/cat.png", False),
        ("/images/*.jpg", "/images/cat.jpg.png", False),  # the whole path must match
        ("/images/*.jpg", "/other/images/cat.jpg", False),
        ("/images/*", "/images/", True),  # "*" may be empty
        ("/a?c", "/abc", True),
        ("/a?c", "/ac", False),  # "?" is exactly one character
        ("/a?c", "/abbc", False),
        ("/a?c", "/a/c", True),
        ("/Images/*", "/images/x", False),  # case-sensitive
        ("/images/*", "/Images/x", False),
        ("images/*.jpg", "/images/cat.jpg", True),  # leading "/" optional
        ("*.css", "/site/main.css", True),
        ("/a.c", "/a.c", True),  # regex metacharacters are literal
        ("/a.c", "/abc", False),
        ("/a+b", "/a+b", True),
        ("/a+b", "/aab", False),
        ("/(x)", "/(x)", True),
        ("/(x)", "/x", False),
        ("/[ab]$^|\\", "/[ab]$^|\\", True),
        ("/api/*/v?", "/api/users/v2", True),
    ],
)
def test_matches(pattern, uri, expected):
    assert matches(pattern, uri) is expected


def test_select_first_match_wins():
    behaviors = [Behavior("/api/*", "a", index=0), Behavior("/api/v2/*", "b", index=1), Behavior("*", "c", index=2)]
    assert select(behaviors, "/api/v2/x").index == 0  # an earlier, broader pattern shadows a later one
    assert select(behaviors, "/apix").index == 2
    assert select(behaviors, "/").index == 2


def test_select_without_a_match_raises():
    with pytest.raises(LookupError):
        select([Behavior("/api/*", "a")], "/other")
