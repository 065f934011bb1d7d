"""``cohort slack`` as a deployer runs it, against the Slack stand-in on loopback: Socket
Mode on SQLite, and two HTTP workers behind one URL each, sharing PostgreSQL."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import processes
from tests import slack_standin as ss
from tests.processes import Background, kill, stop


async def _standin() -> ss.SlackStandIn:
    standin = ss.SlackStandIn()
    await standin.start()
    return standin


@pytest.fixture
def background() -> Iterator[Background]:
    made = Background(_standin)
    yield made
    made.close()


def environment(standin: ss.SlackStandIn) -> dict[str, str]:
    return {
        "COHORT_SLACK_BOT_TOKEN": standin.bot_token,
        "COHORT_SLACK_APP_TOKEN": standin.app_token,
        "COHORT_SLACK_SIGNING_SECRET": standin.signing_secret,
        "COHORT_SLACK_API_URL": standin.api_url,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_socket_mode_serves_commands_and_posts_what_is_due(
    background: Background, tmp_path: Path
) -> None:
    standin = background.standin
    db = f"sqlite:///{tmp_path / 'cohort.db'}"
    processes.schedule_due_prompts(db, "slack:T111", "UADMIN", ["C222"])
    child = processes.spawn(["slack", "--db", db], environment(standin))
    try:
        background.call(standin.wait_connected(1, timeout=30))
        post = background.call(standin.next_post(timeout=30))
        assert post["channel"] == "C222" and "Reflection prompt" in str(post["blocks"])
        assert post["metadata"]["event_payload"]["delivery"] == "d1"
        envelope = background.call(
            standin.send_envelope("slash_commands", ss.slash("/group", "list"))
        )
        background.call(standin.next_ack(envelope))
        answer = background.call(standin.next_response(timeout=30))
        assert answer.body["response_type"] == "ephemeral"
        background.call(standin.disconnect())  # Slack asks for a new connection
        background.call(standin.wait_connected(2, timeout=30))
        again = background.call(standin.send_envelope("slash_commands", ss.slash("/group", "list")))
        background.call(standin.next_ack(again))
        assert standin.connections_opened == 3  # the token check, the first link, the new one
        started = time.monotonic()
        stop(child)
        assert time.monotonic() - started < 10
    finally:
        kill(child)


def test_two_http_workers_share_postgresql_and_post_each_prompt_once(
    background: Background, pg_url: str
) -> None:
    standin = background.standin
    rooms = [f"C9{i:05d}" for i in range(20)]
    for room in rooms:
        standin.add_channel(room, room.lower())
    processes.schedule_due_prompts(pg_url, "slack:T111", "UADMIN", rooms)
    ports = [free_port(), free_port()]
    workers = [
        processes.spawn(
            ["slack", "--http", "--host", "127.0.0.1", "--port", str(p), "--db", pg_url],
            environment(standin),
        )
        for p in ports
    ]
    try:
        posts = [background.call(standin.next_post(timeout=30)) for _ in rooms]
        assert sorted(p["channel"] for p in posts) == rooms
        for port in ports:  # the load balancer sends each worker a command
            body = ss.form_body(ss.slash("/group", "list"))
            url = f"http://127.0.0.1:{port}/slack/events"
            status = _post_when_up(background, standin, url, body)
            assert status == 200
            assert background.call(standin.next_response(timeout=30)).body["text"]
        time.sleep(1.0)  # time for a duplicate to show, were there one
        sent = [c for c in standin.calls if c.method == "chat.postMessage"]
        deliveries = [c.args["metadata"]["event_payload"]["delivery"] for c in sent]
        assert len(deliveries) == 20 and len(set(deliveries)) == 20
    finally:
        outputs = [stop(w) for w in workers]
        for worker in workers:
            kill(worker)
    assert all("Traceback" not in out for out in outputs)


def _post_when_up(background: Background, standin: ss.SlackStandIn, url: str, body: str) -> int:
    deadline = time.monotonic() + 30
    while True:
        try:
            status, _, _ = background.call(standin.post_to(url, body, standin.sign(body)))
            return int(status)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_a_wrong_token_is_a_clear_error_not_a_reconnect_loop(
    background: Background, tmp_path: Path
) -> None:
    env = environment(background.standin) | {"COHORT_SLACK_APP_TOKEN": "xapp-revoked"}
    child = processes.spawn(["slack", "--db", f"sqlite:///{tmp_path / 'c.db'}"], env)
    try:
        output, _ = child.communicate(timeout=30)
        assert child.returncode == 2
        assert "Slack refused the app-level token (invalid_auth)" in output
        assert "Traceback" not in output and "Unclosed" not in output
    finally:
        kill(child)
