"""Invalidation paths as CloudFront takes them, and the cached objects each one covers (pure)."""

from __future__ import annotations

import pytest

from edgehooks.cache import codec
from edgehooks.cache.entry import Entry
from edgehooks.cache.invalidation_paths import MAX_PATHS, BadPath, Matcher, normalize, normalize_all, object_name
from edgehooks.invalidations import parse_batch


def key(uri: str, query: str = "", *extra: str) -> str:
    return "\x00".join(["d111.cloudfront.net", uri, query, *extra])


COVERS = [
    # (path, key, covered)
    ("/index.html", key("/index.html"), True),
    ("/index.html", key("/index.htm"), False),
    ("/index.html", key("/index.html5"), False),
    ("/index.html", key("/Index.html"), False),  # case-sensitive
    ("/images/*", key("/images/a.jpg"), True),
    ("/images/*", key("/images/sub/b.png"), True),  # a prefix: subfolders too
    ("/images/*", key("/images"), False),
    ("/images*", key("/images"), True),
    ("/images/image*", key("/images/image1.jpg"), True),
    ("/images/image*", key("/images/logo.jpg"), False),
    ("/*", key("/"), True),
    ("/*", key("/deep/er/x"), True),
    # query strings: the cached object includes the query string the behavior keys on
    ("/a.jpg", key("/a.jpg", "v=1"), False),
    ("/a.jpg?v=1", key("/a.jpg", "v=1"), True),
    ("/a.jpg?v=1", key("/a.jpg", "v=2"), False),
    ("/a.jpg*", key("/a.jpg", "v=2"), True),
    ("/a.jpg", key("/a.jpg", ""), True),  # a behavior that ignores query strings caches one object
    # every header or cookie variant is covered
    ("/a.jpg", key("/a.jpg", "", "accept-language=de"), True),
    # non-ASCII and unsendable characters are given encoded or get encoded; nothing else is re-encoded
    ("/caf\u00e9.html", key("/caf%C3%A9.html"), True),
    ("/caf%C3%A9.html", key("/caf%C3%A9.html"), True),
    ("/a b.html", key("/a%20b.html"), True),
    ("/a%20b.html", key("/a b.html"), False),
    ("/~user/", key("/~user/"), True),
    ("/~user/", key("/%7Euser/"), False),
]


@pytest.mark.parametrize("path, cached, covered", COVERS)
def test_a_path_covers_what_cloudfront_would(path, cached, covered):
    assert Matcher([normalize(path)])(cached) is covered


def test_many_paths_at_once():
    covered = Matcher(normalize_all(["/a.html", "/img/*", "/a.html"]))
    assert [covered(key(u)) for u in ("/a.html", "/img/x", "/b.html")] == [True, True, False]


BAD = [
    ("index.html", "must begin with /"),
    ("/images/*.jpg", "has a * before its end; the wildcard is only allowed as the last character"),
    ("/*/a", "has a * before its end"),
    ("/" + "a" * 4000, "is longer than 4000 characters"),
    (3, "a path must be a string, got int"),
]


@pytest.mark.parametrize("path, message", BAD)
def test_bad_paths_say_why(path, message):
    with pytest.raises(BadPath, match=message.replace("*", r"\*")):
        normalize(path)


@pytest.mark.parametrize("paths", [[], "/a", None, ["/a"] * (MAX_PATHS + 1)])
def test_paths_must_be_a_bounded_non_empty_list(paths):
    with pytest.raises(BadPath):
        normalize_all(paths)


def test_object_name_is_uri_and_keyed_query():
    assert object_name(key("/a", "x=1", "h=v")) == "/a?x=1"
    assert object_name(key("/a")) == "/a"


BATCHES = [
    ({"paths": ["/a"]}, (["/a"], None)),
    ({"paths": ["/a"], "CallerReference": "r1"}, (["/a"], "r1")),
    ({"Paths": {"Quantity": 2, "Items": ["/a", "/b*"]}, "CallerReference": "r"}, (["/a", "/b*"], "r")),
    ({"InvalidationBatch": {"Paths": {"Items": ["/a"]}, "CallerReference": "r"}}, (["/a"], "r")),
]


@pytest.mark.parametrize("body, parsed", BATCHES)
def test_request_bodies(body, parsed):
    assert parse_batch(body) == parsed


BAD_BATCHES = [
    (["/a"], "the body must be a JSON object"),
    ({"path": ["/a"]}, "unknown field 'path'"),
    ({"Paths": {"Quantity": 3, "Items": ["/a"]}}, '"Paths.Quantity" is 3 but "Paths.Items" has 1 paths'),
    ({"paths": ["/a"], "CallerReference": 7}, '"CallerReference" must be a non-empty string'),
    ({"InvalidationBatch": []}, '"InvalidationBatch" must be an object'),
]


@pytest.mark.parametrize("body, message", BAD_BATCHES)
def test_bad_request_bodies(body, message):
    with pytest.raises(BadPath, match=message):
        parse_batch(body)


def test_entries_round_trip_through_the_codec():
    entry = Entry(200, "OK", [("Content-Type", "text/html"), ("Set-Cookie", "a=1\nb")], b"\x00body\nwith newlines", 1.5, 3.0, 60.0)
    assert codec.decode(codec.encode(entry)) == entry
    # A value from a version whose Entry had other fields is a miss, not an error.
    assert codec.decode(b'{"status":200,"colour":"red"}\nbody') is None
    assert codec.decode(b"not json") is None
