"""Account commands: /start (with deep links), /help, /subscribe, /unsubscribe, /time, /tz, /lang,
and /settings with its inline keyboard."""

from __future__ import annotations

from newsbot.conversation.incoming import Response
from newsbot.conversation.parsing import parse_deep_link, parse_time, parse_timezone, split_words
from newsbot.conversation.turn import Turn, listing
from newsbot.core.i18n import LANGUAGES, normalize_language
from newsbot.core.models import hhmm
from newsbot.core.replies import Message, text_block


async def start(turn: Turn, args: str) -> Response:
    """Welcome, subscribe to the digest (again), and apply a deep-link payload if any."""
    subscriber = await turn.db(turn.services.newsroom.start_subscriber, turn.subscriber)
    turn = turn.with_subscriber(subscriber)
    extra = await _deep_link(turn, args) if args else []
    refreshed = await turn.db(turn.services.newsroom.subscriber_by_id, subscriber.id)
    turn = turn.with_subscriber(refreshed or subscriber)
    name = turn.incoming.user_name or ("朋友" if turn.lang == "zh" else "friend")
    return turn.say(
        turn.t("welcome", name=name),
        turn.t(
            "welcome.subscribed",
            time=hhmm(turn.subscriber.digest_time),
            tz=turn.subscriber.timezone,
        ),
        *extra,
        turn.tw("welcome.next"),
    )


async def _deep_link(turn: Turn, payload: str) -> list[str]:
    link = parse_deep_link(payload)
    subs = turn.services.newsroom
    if link.kind == "keyword" and link.value:
        change = await turn.db(subs.add_keywords, turn.subscriber, [link.value])
        added = change.added or change.existing
        if added:
            return [turn.t("deeplink.keyword", keywords=listing(added))]
    elif link.kind == "section":
        section = _match_sections([link.value], subs.known_sections())[0]
        if section:
            sections = tuple(dict.fromkeys((*turn.subscriber.sections, *section)))
            await turn.db(subs.change_subscriber, turn.subscriber, sections=sections)
            return [turn.t("deeplink.section", section=section[0])]
    elif link.kind == "lang" and link.value in LANGUAGES:
        await turn.db(subs.change_subscriber, turn.subscriber, language=link.value)
        return []
    return [turn.t("deeplink.bad", payload=payload[:64])]


def _match_sections(
    names: list[str], known: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(known sections named, unknown names); matching ignores case."""
    lookup = {k.casefold(): k for k in known}
    found = tuple(dict.fromkeys(lookup[n.casefold()] for n in names if n.casefold() in lookup))
    unknown = tuple(n for n in names if n.casefold() not in lookup)
    return found, unknown


def _unknown_sections(turn: Turn, unknown: tuple[str, ...]) -> Response:
    known = turn.services.newsroom.known_sections()
    return turn.say(
        turn.t(
            "subscribe.unknown_section",
            sections=listing(unknown),
            known=listing(known) if known else turn.t("subscribe.no_sections"),
        )
    )


async def subscribe(turn: Turn, args: str) -> Response:
    """/subscribe: the digest on; /subscribe 阳泉 要闻: only these sections."""
    subs, subscriber = turn.services.newsroom, turn.subscriber
    if not args:
        subscriber = await turn.db(
            subs.change_subscriber, subscriber, digest_enabled=True, active=True
        )
        return turn.say(
            turn.t("subscribe.on", time=hhmm(subscriber.digest_time), tz=subscriber.timezone)
        )
    found, unknown = _match_sections(split_words(args), subs.known_sections())
    if unknown:
        return _unknown_sections(turn, unknown)
    sections = tuple(dict.fromkeys((*subscriber.sections, *found)))
    await turn.db(
        subs.change_subscriber, subscriber, sections=sections, digest_enabled=True, active=True
    )
    return turn.say(turn.t("subscribe.sections", sections=listing(sections)))


async def unsubscribe(turn: Turn, args: str) -> Response:
    """/unsubscribe: the digest off; /unsubscribe 阳泉: drop that section from the filter."""
    subs, subscriber = turn.services.newsroom, turn.subscriber
    if not args:
        await turn.db(subs.change_subscriber, subscriber, digest_enabled=False)
        return turn.say(turn.t("subscribe.off"))
    found, unknown = _match_sections(split_words(args), subs.known_sections())
    if unknown:
        return _unknown_sections(turn, unknown)
    remaining = tuple(s for s in subscriber.sections if s not in found)
    await turn.db(subs.change_subscriber, subscriber, sections=remaining)
    lines = [turn.t("subscribe.sections_off", sections=listing(found))]
    if not remaining:
        lines.append(turn.t("subscribe.all_sections"))
    return turn.say(*lines)


async def time(turn: Turn, args: str) -> Response:
    subscriber = turn.subscriber
    if not args:
        return turn.say(
            turn.t("time.show", time=hhmm(subscriber.digest_time), tz=subscriber.timezone)
        )
    value = parse_time(args)
    if value is None:
        return turn.say(turn.t("time.bad", value=args[:40]))
    await turn.db(turn.services.newsroom.change_subscriber, subscriber, digest_time=value)
    return turn.say(turn.t("time.set", time=hhmm(value), tz=subscriber.timezone))


async def tz(turn: Turn, args: str) -> Response:
    subscriber = turn.subscriber
    if not args:
        return turn.say(turn.t("tz.show", tz=subscriber.timezone))
    name = parse_timezone(args)
    if name is None:
        return turn.say(turn.t("tz.bad", value=args[:64]))
    await turn.db(turn.services.newsroom.change_subscriber, subscriber, timezone=name)
    return turn.say(turn.t("tz.set", tz=name, time=hhmm(subscriber.digest_time)))


_LANGUAGE_NAMES = {"中文": "zh", "chinese": "zh", "english": "en", "英文": "en", "英语": "en"}


async def lang(turn: Turn, args: str) -> Response:
    value = _LANGUAGE_NAMES.get(args.strip().casefold()) or args.strip().casefold()
    value = normalize_language(value) if value[:3] in ("zh-", "en-") else value
    if value not in LANGUAGES:
        return turn.say(turn.t("lang.bad", value=args[:20]))
    subscriber = await turn.db(
        turn.services.newsroom.change_subscriber, turn.subscriber, language=value
    )
    return turn.with_subscriber(subscriber).say(turn.with_subscriber(subscriber).t("lang.set"))


# --- /settings and its keyboard ---------------------------------------------------------------


def settings_message(turn: Turn) -> Message:
    s = turn.subscriber
    body = turn.t(
        "settings.body",
        digest=turn.t("settings.on" if s.digest_enabled else "settings.off"),
        time=hhmm(s.digest_time),
        tz=s.timezone,
        sections=listing(s.sections) if s.sections else turn.t("settings.all_sections"),
        keywords=len(s.keywords),
        alert=turn.t(f"settings.alert.{s.alert_mode}"),
        lang=turn.t("settings.lang.name"),
    )
    # Buttons name what pressing them does (the body above shows the state): "回复 1：每日摘要：开"
    # read as "reply 1 to turn it on" whatever the state was.
    other_mode = "digest" if s.alert_mode == "push" else "push"
    buttons = (
        (
            turn.button(
                turn.t("settings.digest_off" if s.digest_enabled else "settings.digest_on"),
                "set:digest",
            ),
        ),
        (
            turn.button(
                turn.t("settings.alert_to", mode=turn.t(f"settings.alert.{other_mode}")),
                "set:alert",
            ),
        ),
        (turn.button(turn.t("settings.toggle_lang"), "set:lang"),),
    )
    return Message(
        (text_block(turn.t("settings.title"), bold=True), text_block(body)), buttons=buttons
    )


async def settings(turn: Turn, args: str) -> Response:
    return Response((settings_message(turn),))


async def settings_button(turn: Turn, payload: str) -> Response:
    """set:digest / set:alert / set:lang: toggle and show the settings again in place."""
    s, subs = turn.subscriber, turn.services.newsroom
    changes: dict[str, dict[str, object]] = {
        "set:digest": {"digest_enabled": not s.digest_enabled},
        "set:alert": {"alert_mode": "digest" if s.alert_mode == "push" else "push"},
        "set:lang": {"language": "en" if turn.lang == "zh" else "zh"},
    }
    change = changes.get(payload)
    if change is None:
        return Response(notice=turn.t("error.bad_callback"))
    updated = turn.with_subscriber(await turn.db(subs.change_subscriber, s, **change))
    return Response(
        (settings_message(updated),),
        edit=True,
        notice=updated.t("settings.updated"),
        language=updated.lang,
    )
