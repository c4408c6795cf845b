"""Rate limits: the token bucket with a hand-moved clock, the in-process store and the
Redis store against a real redis-server, and the rules built on them."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
import redis
from sqlalchemy.orm import Session

from chat.config import ConfigError, from_environment
from chat.errors import ChatError, RateLimited, ValidationError
from chat.limiting import RedisStore, store_for
from chat.models import ChatSession, User
from chat.services import limits, messages
from chat.services.limits import Bucket, Limiter, MemoryStore, Rule, take
from tests.helpers import PASSWORD, START

FIVE_PER_TEN = Rule(limit=5, seconds=10, burst=5)  # one token back every 2 seconds
T0 = START.timestamp()


def test_a_full_bucket_lets_a_burst_through_then_says_how_long_to_wait() -> None:
    bucket = None
    for _ in range(5):
        bucket, wait = take(bucket, FIVE_PER_TEN, T0)
        assert wait == 0.0
    refused, wait = take(bucket, FIVE_PER_TEN, T0)
    assert wait == pytest.approx(2.0) and refused.tokens == pytest.approx(0.0)
    later, wait = take(bucket, FIVE_PER_TEN, T0 + 1.5)
    assert wait == pytest.approx(0.5) and later.tokens == pytest.approx(0.75)


def test_tokens_come_back_at_the_rate_and_never_beyond_the_burst() -> None:
    empty = Bucket(0.0, T0)
    assert take(empty, FIVE_PER_TEN, T0 + 2)[1] == 0.0  # one token back after 2 s
    after_an_hour, wait = take(empty, FIVE_PER_TEN, T0 + 3600)
    assert wait == 0.0 and after_an_hour.tokens == pytest.approx(4.0)  # 5 at most, less 1


def test_a_burst_allowance_above_the_rate() -> None:
    generous = Rule(limit=5, seconds=10, burst=8)
    bucket = None
    for _ in range(8):
        bucket, wait = take(bucket, generous, T0)
        assert wait == 0.0
    assert take(bucket, generous, T0)[1] == pytest.approx(2.0)


def test_a_clock_behind_the_bucket_refills_nothing_and_does_not_rewind_it() -> None:
    bucket = Bucket(0.0, T0)
    behind, wait = take(bucket, FIVE_PER_TEN, T0 - 60)
    assert wait == pytest.approx(2.0) and behind == bucket


def test_giving_back_adds_a_token_up_to_the_burst() -> None:
    bucket, wait = take(Bucket(0.0, T0), FIVE_PER_TEN, T0, cost=-1)
    assert wait == 0.0 and bucket.tokens == 1.0
    full, _ = take(None, FIVE_PER_TEN, T0, cost=-1)
    assert full.tokens == 5.0


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest):
    """Each store, which must behave exactly like the other."""
    if request.param == "memory":
        return MemoryStore()
    return store_for(request.getfixturevalue("redis_url"))


def test_each_store_limits_resets_and_keeps_keys_apart(store) -> None:
    assert [store.take("a", FIVE_PER_TEN, T0) for _ in range(5)] == [0.0] * 5
    assert store.take("a", FIVE_PER_TEN, T0) == pytest.approx(2.0)
    assert store.take("a", FIVE_PER_TEN, T0 + 0.5) == pytest.approx(1.5)  # a refusal takes none
    assert store.take("b", FIVE_PER_TEN, T0) == 0.0
    assert store.take("a", FIVE_PER_TEN, T0 + 2) == 0.0
    assert store.take("a", FIVE_PER_TEN, T0 + 2) > 0
    store.take("a", FIVE_PER_TEN, T0 + 2, cost=-1)
    assert store.take("a", FIVE_PER_TEN, T0 + 2) == 0.0
    store.reset("a")
    assert [store.take("a", FIVE_PER_TEN, T0 + 2) for _ in range(5)] == [0.0] * 5


def test_the_redis_store_is_one_limit_for_every_process(redis_url: str) -> None:
    """Two stores with their own connections (two workers) share each bucket, and
    concurrent takes from both never let more than the burst through."""
    one, two = (
        RedisStore(redis.Redis.from_url(redis_url)),
        RedisStore(redis.Redis.from_url(redis_url)),
    )
    assert one.take("member", FIVE_PER_TEN, T0) == 0.0
    assert [two.take("member", FIVE_PER_TEN, T0) for _ in range(4)] == [0.0] * 4
    assert one.take("member", FIVE_PER_TEN, T0) == pytest.approx(2.0)

    burst = Rule(limit=1, seconds=3600, burst=20)
    passed: list[float] = []
    start = threading.Barrier(8)

    def worker(store: RedisStore) -> None:
        start.wait()
        for _ in range(10):
            if store.take("race", burst, T0) == 0.0:
                passed.append(1.0)

    threads = [threading.Thread(target=worker, args=((one, two)[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(passed) == 20  # 80 attempts, exactly the burst allowed


def test_redis_forgets_a_bucket_once_it_would_be_full(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    store = RedisStore(client)
    store.take("member", FIVE_PER_TEN, T0)
    ttl = client.pttl("traineetalk:limit:member")
    assert 0 < ttl <= 3000  # 2 s to refill one token, plus a second's grace


def test_an_unreachable_redis_lets_attempts_through(caplog) -> None:
    store = RedisStore(redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2))
    assert store.take("k", FIVE_PER_TEN, 0.0) == 0.0
    store.reset("k")
    assert "Redis is unreachable" in caplog.text


def test_the_memory_store_drops_refilled_buckets_when_it_grows(monkeypatch) -> None:
    store = MemoryStore()
    monkeypatch.setattr(MemoryStore, "PRUNE_ABOVE", 3)
    for key in "abc":
        store.take(key, FIVE_PER_TEN, T0)
    store.take("d", FIVE_PER_TEN, T0 + 1)  # a, b and c are not full yet
    assert len(store._buckets) == 4
    store.take("e", FIVE_PER_TEN, T0 + 2)  # now they are
    assert sorted(store._buckets) == ["d", "e"]


def test_without_redis_url_the_store_is_in_process() -> None:
    assert isinstance(store_for(None), MemoryStore)
    assert isinstance(store_for("redis://127.0.0.1:1/0"), RedisStore)  # connects lazily


def test_the_limiter_refuses_in_whole_seconds_and_a_zero_limit_is_off() -> None:
    limiter = Limiter(MemoryStore(), {"x": Rule(2, 3, 2), "off": Rule(0, 10, 0)})
    limiter.hit("x", "me", START, "slow down")
    limiter.hit("x", "me", START, "slow down")
    with pytest.raises(RateLimited) as refused:
        limiter.hit("x", "me", START, "slow down")
    assert refused.value.retry_after == 2 and refused.value.message == "slow down"  # 1.5 s
    with pytest.raises(RateLimited) as soon:
        limiter.hit("x", "me", START + timedelta(seconds=1.4), "slow down")
    assert soon.value.retry_after == 1  # 0.1 s rounds up, never to 0
    for _ in range(50):
        limiter.hit("off", "me", START, "never")


def test_the_settings_come_from_the_environment(tmp_path) -> None:
    env = {"SECRET_KEY": "x", "CHAT_MESSAGE_LIMIT": "3", "CHAT_SIGN_IN_LIMIT_SECONDS": "60"}
    config = from_environment(tmp_path, env=env)
    built = limits.rules_from_config(config)
    assert built[limits.MESSAGE] == Rule(3, 10, 3)  # the burst follows the limit by default
    assert built[limits.SIGN_IN_ACCOUNT] == Rule(5, 60, 5)
    assert built[limits.SIGN_IN_ADDRESS] == Rule(20, 60, 20)
    assert config["CHAT_REPEAT_SECONDS"] == 30 and config["CHAT_TRUSTED_PROXIES"] == 0
    burst = from_environment(tmp_path, env=env | {"CHAT_MESSAGE_BURST": "8"})
    assert limits.rules_from_config(burst)[limits.MESSAGE] == Rule(3, 10, 8)
    with pytest.raises(ConfigError, match="CHAT_REPEAT_SECONDS cannot be negative"):
        from_environment(tmp_path, env=env | {"CHAT_REPEAT_SECONDS": "-1"})


def rules(**changes: int) -> dict[str, Rule]:
    config = {
        "CHAT_MESSAGE_LIMIT": 5,
        "CHAT_MESSAGE_LIMIT_SECONDS": 10,
        "CHAT_MESSAGE_BURST": 5,
        "CHAT_REPORT_LIMIT": 2,
        "CHAT_REPORT_LIMIT_SECONDS": 600,
        "CHAT_SIGN_IN_ACCOUNT_LIMIT": 3,
        "CHAT_SIGN_IN_ADDRESS_LIMIT": 4,
        "CHAT_SIGN_IN_LIMIT_SECONDS": 900,
    }
    return limits.rules_from_config(config | changes)


def test_sign_in_counts_failures_per_account_and_per_address(dbs: Session, member: User) -> None:
    limiter = Limiter(MemoryStore(), rules())
    for _ in range(3):
        with pytest.raises(ValidationError):
            limits.sign_in(dbs, limiter, member.email, "wrong", "10.0.0.1", START)
    with pytest.raises(RateLimited) as locked:  # even the right password, from anywhere
        limits.sign_in(dbs, limiter, member.email.upper(), PASSWORD, "10.0.0.2", START)
    assert locked.value.retry_after == 300  # 3 per 15 minutes: one back every 5
    later = START + timedelta(minutes=5)
    assert limits.sign_in(dbs, limiter, member.email, PASSWORD, "10.0.0.2", later) == member
    # A success starts the account afresh: three more tries.
    for _ in range(3):
        with pytest.raises(ValidationError):
            limits.sign_in(dbs, limiter, member.email, "wrong", "10.0.0.3", later)


def test_sign_in_limits_an_address_trying_many_accounts(dbs: Session, member: User) -> None:
    limiter = Limiter(MemoryStore(), rules())
    for n in range(4):
        with pytest.raises(ValidationError):
            limits.sign_in(dbs, limiter, f"guess{n}@example.org", "wrong", "10.0.0.9", START)
    with pytest.raises(RateLimited):
        limits.sign_in(dbs, limiter, member.email, PASSWORD, "10.0.0.9", START)
    # The refusal did not count against the account: it signs in from elsewhere.
    assert limits.sign_in(dbs, limiter, member.email, PASSWORD, "10.0.0.1", START) == member


def test_successful_sign_ins_do_not_use_up_an_address(dbs: Session, member: User) -> None:
    limiter = Limiter(MemoryStore(), rules())
    for _ in range(10):  # a college's shared address, everyone signing in at nine
        assert limits.sign_in(dbs, limiter, member.email, PASSWORD, "10.0.0.1", START) == member


def test_reports_are_limited_for_members_only(
    dbs: Session, member: User, guest: User, organiser: User, room: ChatSession
) -> None:
    limiter = Limiter(MemoryStore(), rules())
    limits.check_report(limiter, member, room, START)
    limits.check_report(limiter, member, room, START)
    with pytest.raises(RateLimited) as refused:
        limits.check_report(limiter, member, room, START)
    assert refused.value.retry_after == 300
    for _ in range(5):
        limits.check_report(limiter, guest, room, START)
        limits.check_report(limiter, organiser, room, START)


def send(dbs: Session, user: User, room: ChatSession, body: str, limiter: Limiter, when):
    return messages.send_message(
        dbs, user, room, body, str(uuid.uuid4()), None, when, 15, None, flood=limiter
    )


def test_messages_the_sixth_in_a_burst_waits_and_is_not_stored(
    dbs: Session, member: User, guest: User, room: ChatSession
) -> None:
    limiter = Limiter(MemoryStore(), rules(), repeat_seconds=30)
    live = room.starts_at + timedelta(minutes=1)
    for n in range(5):
        send(dbs, member, room, f"thought {n}", limiter, live)
    with pytest.raises(RateLimited) as refused:
        send(dbs, member, room, "one more", limiter, live)
    assert refused.value.retry_after == 2
    assert room.last_message_id == 5  # the refused message's id was rolled back
    for n in range(10):
        send(dbs, guest, room, f"welcome {n}", limiter, live)
    assert send(dbs, member, room, "one more", limiter, live + timedelta(seconds=2))[0]["id"] == 16


def test_an_identical_repeat_is_refused_within_the_window(
    dbs: Session, member: User, guest: User, room: ChatSession
) -> None:
    limiter = Limiter(MemoryStore(), rules(), repeat_seconds=30)
    live = room.starts_at + timedelta(minutes=1)
    send(dbs, member, room, "Same here", limiter, live)
    with pytest.raises(ChatError) as repeat:
        send(dbs, member, room, "Same here", limiter, live + timedelta(seconds=29))
    assert repeat.value.code == "conflict"
    assert send(dbs, member, room, "Same here", limiter, live + timedelta(seconds=30))
    send(dbs, guest, room, "Welcome", limiter, live)
    assert send(dbs, guest, room, "Welcome", limiter, live)  # staff may repeat themselves
