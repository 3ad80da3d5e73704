"""Standard Webhooks signatures against the specification's published test vector, verification
by a receiver, and delivery retries (a real local HTTP receiver, no mocks)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from service.whitelist import webhooks

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


@pytest.fixture
def receiver():
    """A local receiver answering 503, 503, then 204; it records what it got."""
    got: list[dict] = []
    answers = [503, 503, 204]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"]))
            got.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
            self.send_response(answers[min(len(got), len(answers)) - 1])
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", got
    server.shutdown()


def test_delivery_retries_with_backoff_and_the_same_id(receiver):
    url, got = receiver
    waits: list[float] = []
    with httpx.Client() as client:
        result = webhooks.deliver(
            url, SECRET, "msg_1", b'{"type":"whitelist.entries_available"}', client=client, sleep=waits.append
        )
    assert result == webhooks.Delivery(True, 3, 204)
    assert len(got) == 3 and {g["headers"]["webhook-id"] for g in got} == {"msg_1"}
    assert all(webhooks.verify(SECRET, g["headers"], g["body"]) for g in got)
    assert len(waits) == 2 and 4 <= waits[0] <= 6 and 24 <= waits[1] <= 36  # 5 s and 30 s, ±20%
    with pytest.raises(ValueError):
        webhooks.deliver("http://bank.example/hook", SECRET, "m", b"{}", client=httpx.Client())
