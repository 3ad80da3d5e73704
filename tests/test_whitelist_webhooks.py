"""Standard Webhooks signatures against the specification's published test vector, and verification
by a receiver (delivery through the outbox: tests/jobs/test_notifications.py)."""

from __future__ import annotations

import pytest

from service.notifications import signing as webhooks

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'


def test_signature_matches_the_specifications_test_vector():
    assert webhooks.signature(SECRET, MSG_ID, TIMESTAMP, BODY) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_receiver_accepts_the_notice_and_refuses_edits_and_old_ones():
    headers = webhooks.headers(SECRET, MSG_ID, TIMESTAMP, BODY)
    assert webhooks.verify(SECRET, headers, BODY, now=TIMESTAMP + 10)
    assert not webhooks.verify(SECRET, headers, BODY + b" ", now=TIMESTAMP + 10)
    assert not webhooks.verify(SECRET, headers | {"webhook-id": "msg_other"}, BODY, now=TIMESTAMP)
    assert not webhooks.verify(SECRET, headers, BODY, now=TIMESTAMP + 301)  # replayed too late
    assert not webhooks.verify("whsec_" + "A" * 32, headers, BODY, now=TIMESTAMP)
    with pytest.raises(ValueError):
        webhooks.signature("no-prefix", MSG_ID, TIMESTAMP, BODY)
