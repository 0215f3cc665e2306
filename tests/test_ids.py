"""Ids cut from a shared pool of random bytes still look and behave like the real ones."""

import os
import uuid

from edgehooks import ids


def test_invocation_ids_are_random_uuids_as_lambda_prints_them():
    seen = {ids.invocation_id() for _ in range(2000)}  # several refills of the pool
    assert len(seen) == 2000
    for text in seen:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_request_ids_are_cloudfront_shaped_and_distinct():
    seen = {ids.request_id() for _ in range(600)}
    assert len(seen) == 600
    assert all(len(i) == 56 and i.endswith("=") for i in seen)


def test_a_forked_child_does_not_repeat_its_parents_ids():
    ids.request_id()  # the pool is full now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write, ids.invocation_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 100).decode() != ids.invocation_id()
