"""Peer tutoring: a queue like office hours. Thanks carry no points."""

from __future__ import annotations

from bot import zones
from bot.context import Context
from bot.errors import UserError
from bot.ports import RequestRecord
from bot.text import clean_name, is_blank, normalise_key, plural, shorten
from bot.types import Button, Reply, Visibility

MAX_TOPICS = 20
QUEUE_SHOWN = 20


def _topics(text: str) -> list[str]:
    topics = [clean_name(t) for t in text.split(",") if not is_blank(t)]
    if not topics:
        raise UserError("Name at least one topic, e.g. /tutor offer recursion, sql joins")
    too_long = [t for t in topics if len(t) > 100]
    if too_long:
        raise UserError(
            f"A topic is at most 100 characters; '{too_long[0][:40]}…' is {len(too_long[0])}."
        )
    unique: dict[str, str] = {}
    for topic in topics:
        unique.setdefault(normalise_key(topic), topic)  # "SQL, sql" is one topic
    return list(unique.values())


def offer(ctx: Context, *, topics: str) -> Reply:
    wanted = _topics(topics)
    have = {o.topic_key for o in ctx.store.offers_of(ctx.member_id)}
    new = [t for t in wanted if normalise_key(t) not in have]
    if len(have) + len(new) > MAX_TOPICS:
        raise UserError(
            f"You can offer at most {MAX_TOPICS} topics; stop one first with /tutor stop <topic>."
        )
    if not new:
        raise UserError(f"You already offer {', '.join(wanted)}.")
    for topic in new:
        ctx.store.add_offer(ctx.community_id, ctx.member_id, topic, normalise_key(topic), ctx.now)
    waiting = sum(ctx.store.count_open_requests(ctx.community_id, normalise_key(t)) for t in new)
    verb = "matches" if waiting == 1 else "match"
    tail = f" {plural(waiting, 'open request')} {verb}: /tutor queue" if waiting else ""
    return Reply(
        f"You now offer help with {', '.join(new)}. You'll be told when someone asks.{tail}"
    )


def stop(ctx: Context, *, topic: str) -> Reply:
    if not ctx.store.remove_offer(ctx.member_id, normalise_key(topic)):
        offered = ", ".join(o.topic for o in ctx.store.offers_of(ctx.member_id)) or "nothing"
        raise UserError(f"You don't offer {clean_name(topic)}. You offer: {offered}.")
    return Reply(f"You no longer offer help with {clean_name(topic)}.")


def _request(ctx: Context, request_id: int) -> RequestRecord:
    found = ctx.store.request(ctx.community_id, request_id)
    if found is None:
        raise UserError(
            f"There is no help request #{request_id} in this community. "
            "/tutor queue shows the open ones."
        )
    return found


def _buttons(request_id: int, *names: str) -> tuple[Button, ...]:
    made = {
        "claim": Button(
            f"Claim #{request_id}",
            f"tutor.claim:{request_id}",
            f"/tutor claim {request_id}",
            "primary",
        ),
        "done": Button(
            f"Done #{request_id}",
            f"tutor.done:{request_id}",
            f"/tutor done {request_id}",
            "primary",
        ),
        "thank": Button(
            "Say thanks", f"tutor.thank:{request_id}", f"/tutor thank {request_id}", "secondary"
        ),
    }
    return tuple(made[n] for n in names)


def request(ctx: Context, *, topic: str, details: str) -> Reply:
    topic = clean_name(topic)
    request_id = ctx.store.add_request(
        ctx.community_id,
        ctx.member_id,
        topic=topic,
        topic_key=normalise_key(topic),
        details=details,
        channel=ctx.invocation.channel,
        now=ctx.now,
    )
    position = ctx.store.count_open_requests(ctx.community_id, None)
    tutors = [
        t
        for t in ctx.store.tutors_for(ctx.community_id, normalise_key(topic))
        if t.id != ctx.member_id and not t.forgotten
    ]
    if tutors:
        ctx.post(
            f"{ctx.member.display_name} asks for help with {topic}: {details}",
            title=f"Help request #{request_id}: {topic}",
            kind="tutor_alert",
            to_members=tuple(t.platform_id for t in tutors),
            buttons=_buttons(request_id, "claim"),
        )
    alerted = (
        (
            f"{len(tutors)} tutor{'s' if len(tutors) != 1 else ''} of {topic} "
            f"{'were' if len(tutors) != 1 else 'was'} alerted"
        )
        if tutors
        else (f"no one offers {topic} yet, so it waits in the queue for anyone")
    )
    return Reply(
        f"Request #{request_id} is number {position} in the queue; {alerted}. "
        f"Withdraw it with /tutor cancel {request_id}.",
        title=f"Help request #{request_id}",
        fields=(("Topic", topic),),
    )


def queue(ctx: Context, *, topic: str | None) -> Reply:
    key = normalise_key(topic) if topic else None
    shown = ctx.store.open_requests(ctx.community_id, key, limit=QUEUE_SHOWN)
    if not shown:
        where = f" for {clean_name(topic)}" if topic else ""
        return Reply(f"The queue is empty{where}. Ask with /tutor request <topic> <details>.")
    total = (
        len(shown)
        if len(shown) < QUEUE_SHOWN
        else ctx.store.count_open_requests(ctx.community_id, key)
    )
    items = tuple(
        f"#{r.id} {r.topic} - {r.requester_name}: {shorten(r.details, 80)} "
        f"(waiting {zones.show_duration(ctx.now - r.created_at)})"
        for r in shown
    )
    more = f" Showing the oldest {QUEUE_SHOWN}." if total > QUEUE_SHOWN else ""
    buttons = tuple(
        b for r in shown[:5] if r.requester_id != ctx.member_id for b in _buttons(r.id, "claim")
    )
    return Reply(
        f"{plural(total, 'open request')}, oldest first.{more}",
        title="Help queue",
        items=items,
        buttons=buttons,
    )


def claim(ctx: Context, *, id: int) -> Reply:
    req = _request(ctx, id)
    if req.requester_id == ctx.member_id:
        raise UserError(
            f"#{id} is your own request; someone else has to claim it. "
            f"Withdraw it with /tutor cancel {id}."
        )
    if req.status != "open":
        raise UserError(
            f"#{id} is {req.status}, so it can't be claimed. /tutor queue shows the open ones."
        )
    req.status, req.claimed_by, req.claimed_at = "claimed", ctx.member_id, ctx.now
    requester = ctx.store.member(req.requester_id)
    ctx.post(
        f"{ctx.member.display_name} claimed your request #{id} ({req.topic}) and will reach out.",
        to_members=(requester.platform_id,),
        kind="notice",
    )
    return Reply(
        f"You claimed #{id} ({req.topic}) from {requester.display_name}: "
        f"{req.details}\nWhen you're done: /tutor done {id}",
        title=f"Claimed #{id}",
        buttons=_buttons(req.id, "done"),
    )


def done(ctx: Context, *, id: int, notes: str | None) -> Reply:
    req = _request(ctx, id)
    if ctx.member_id not in (req.claimed_by, req.requester_id):
        raise UserError(
            f"Only the person who asked or the tutor who claimed #{id} can mark it done."
        )
    if req.status not in ("open", "claimed"):
        raise UserError(f"#{id} is already {req.status}.")
    req.status, req.resolved_at, req.notes = "done", ctx.now, notes
    if req.claimed_by is not None and ctx.member_id == req.claimed_by:
        requester = ctx.store.member(req.requester_id)
        ctx.post(
            f"{ctx.member.display_name} marked #{id} ({req.topic}) as resolved."
            f"{' Notes: ' + notes if notes else ''} Say thanks: /tutor thank {id}",
            to_members=(requester.platform_id,),
            buttons=_buttons(req.id, "thank"),
        )
    return Reply(f"#{id} ({req.topic}) is resolved. Thank you for closing the loop.")


def cancel(ctx: Context, *, id: int) -> Reply:
    req = _request(ctx, id)
    if req.requester_id != ctx.member_id:
        raise UserError(f"Only the person who asked can cancel #{id}.")
    if req.status not in ("open", "claimed"):
        raise UserError(f"#{id} is already {req.status}.")
    if req.claimed_by is not None:
        helper = ctx.store.member(req.claimed_by)
        ctx.post(
            f"{ctx.member.display_name} withdrew request #{id} ({req.topic}); no need to "
            "follow up.",
            to_members=(helper.platform_id,),
        )
    req.status, req.resolved_at = "cancelled", ctx.now
    return Reply(f"Cancelled #{id}.")


def thank(ctx: Context, *, id: int, message: str | None) -> Reply:
    req = _request(ctx, id)
    if req.requester_id != ctx.member_id:
        raise UserError(f"Only the person who asked #{id} can thank its helper.")
    if req.status != "done" or req.claimed_by is None:
        raise UserError(
            f"#{id} has no helper to thank yet: it is {req.status}. Thank them "
            "once a tutor has claimed and resolved it."
        )
    if ctx.store.thanks_exists(id, ctx.member_id):
        raise UserError(f"You already thanked your helper for #{id}.")
    helper = ctx.store.member(req.claimed_by)
    if helper.forgotten:
        raise UserError(
            f"The person who helped with #{id} has since deleted their Cohort data, "
            "so thanks can't reach them."
        )
    ctx.store.add_thanks(ctx.community_id, id, ctx.member_id, helper.id, message, ctx.now)
    note = f': "{message}"' if message else "."
    ctx.post(
        f"{ctx.member.display_name} thanked you for helping with {req.topic}{note}",
        to_members=(helper.platform_id,),
        kind="notice",
    )
    return Reply(f"Your thanks went to {helper.display_name}.", visibility=Visibility.PRIVATE)
