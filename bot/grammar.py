"""The shared text grammar: ``/command subcommand positional "quoted words" --option value``.

Console and Slack hand their text here. :func:`parse` finds the command and collects raw
strings; :func:`validate` types and checks them against the catalogue. Discord's typed options
skip :func:`parse` but still go through :func:`validate`, so every platform shares one set of
limits and one set of messages.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from bot import catalogue
from bot.catalogue import Command, Kind, Option
from bot.errors import UserError
from bot.text import is_blank, shorten
from bot.types import MemberRef

OPEN_QUOTES = {'"': '"', "\u201c": "\u201d", "\u201e": "\u201c", "\u00ab": "\u00bb"}
CLOSERS = {'"', "\u201d", "\u201c", "\u00bb"}
QUOTE_MARKS = frozenset(OPEN_QUOTES) | CLOSERS  # every mark that opens or closes a quote
MAX_LINE = 12_000


@dataclass(frozen=True)
class Token:
    """A word of the command line: its value, whether it was quoted, and where it stood."""

    value: str
    quoted: bool
    start: int
    end: int


def tokenize(line: str) -> list[Token]:
    """Split on whitespace, keeping double-quoted runs (straight or typographic) together.

    Apostrophes are ordinary characters, so ``I'm stuck`` stays two words.
    """
    tokens: list[Token] = []
    i, n = 0, len(line)
    while i < n:
        if line[i].isspace():
            i += 1
            continue
        start = i
        if line[i] in OPEN_QUOTES:
            end = _closing_quote(line, i + 1)
            if end < 0:
                raise UserError(
                    'A quote is not closed. Put a closing " after the quoted words, '
                    'e.g. /group join "Linear Algebra".'
                )
            tokens.append(Token(line[i + 1 : end], True, start, end + 1))
            i = end + 1
            continue
        while i < n and not line[i].isspace():
            i += 1
        tokens.append(Token(line[start:i], False, start, i))
    return tokens


def _closing_quote(line: str, i: int) -> int:
    for j in range(i, len(line)):
        if line[j] in CLOSERS:
            return j
    return -1


def parse(line: str) -> tuple[Command, dict[str, Any]]:
    """Find the command a line names and collect its raw (string) arguments.

    A leading ``/cohort`` before another top-level command is dropped, so Slack's
    ``/cohort me export`` means ``/me export``.
    """
    if len(line) > MAX_LINE:
        raise UserError(
            f"That line is {len(line):,} characters; commands are at most "
            f"{MAX_LINE:,}. Shorten the text and try again."
        )
    line = line.strip()
    tokens = tokenize(line)
    if not tokens:
        raise UserError("Type a command, e.g. /group list. /cohort help shows them all.")
    top, rest = _word(tokens[0]), tokens[1:]
    if (
        top == "cohort"
        and rest
        and _word(rest[0]) in catalogue.TOP_LEVEL
        and (_word(rest[0]) not in catalogue.subcommands("cohort"))
    ):
        top, rest = _word(rest[0]), rest[1:]
    command, rest = _resolve(top, rest)
    return command, _collect(command, rest, line)


def _word(token: Token) -> str:
    return token.value.lstrip("/").lower()


def _resolve(top: str, rest: list[Token]) -> tuple[Command, list[Token]]:
    subs = catalogue.subcommands(top)
    if not subs:
        raise UserError(
            f"There is no command /{top}.{_suggest(top, catalogue.TOP_LEVEL)} "
            "/cohort help lists them all."
        )
    first = rest[0].value.lower() if rest else ""
    default = subs.get("")
    others = set(subs) - {""}
    takes_text = default is not None and bool(default.positionals)
    if first in others and not (rest[0].quoted and takes_text):
        chosen = subs[first]
        if default and takes_text and not chosen.positionals and _words_follow(default, rest[1:]):
            return default, rest  # "/reflect list of things" is a reflection
        return chosen, rest[1:]
    if default is not None and (takes_text or not first or _looks_like_option(first) or not others):
        return default, rest
    # Slack's /cohort reaches every command, so a typo there may be any of them.
    everywhere = sorted(set(catalogue.TOP_LEVEL) - {"cohort"}) if top == "cohort" else []
    choices = sorted(others) + everywhere
    names = ", ".join(dict.fromkeys(choices))
    if first and not _looks_like_option(first):
        raise UserError(
            f"/{top} has no subcommand '{_clip(rest[0].value)}'.{_suggest(first, choices)} "
            f"Choose one of: {names}."
        )
    example = "list" if "list" in choices else choices[0]
    raise UserError(f"/{top} needs a subcommand: {names}. E.g. /{top} {example}.")


# Every character a person or their keyboard may use as a hyphen.
DASHLIKE = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"


def _looks_like_option(word: str) -> bool:
    return word.startswith("--") or (word[:1] in DASHLIKE and word.lstrip(DASHLIKE)[:1].isalpha())


def _words_follow(command: Command, tokens: list[Token]) -> bool:
    return any(_option_name(command, t) is None for t in tokens)


def _option_name(command: Command, token: Token) -> str | None:
    """The option a token names (``--name``, ``--name=value``, ``—name``, ``-name``), else None.

    A word led by any hyphen or dash that names an option, or nearly does, is never taken
    as text: ``/reflect secret -anon`` must not publish a reflection meant to be anonymous.
    """
    if token.quoted:
        return None
    value = token.value
    if value.startswith("--") and value != "--":
        return value[2:]
    stripped = value.lstrip(DASHLIKE)
    name = stripped.partition("=")[0].lower()
    if stripped == value or not name[:1].isalpha():
        return None  # a plain word, a number like -1, or a lone dash
    named = [o.name for o in command.options if not o.positional]
    if name.replace("_", "-") in named:
        return stripped
    near = [o for o in named if o.startswith(name)] or difflib.get_close_matches(
        name, named, n=1, cutoff=0.7
    )
    if near:
        raise UserError(
            f"Did you mean --{near[0]}? Options start with two hyphens, e.g. --{near[0]}."
        )
    return None


def _collect(command: Command, tokens: list[Token], line: str) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    words: list[int] = []
    i = 0
    while i < len(tokens):
        spelled = _option_name(command, tokens[i])
        if spelled is None:
            words.append(i)
            i += 1
            continue
        name, equals, inline = spelled.partition("=")
        option = command.option(name.lower())
        if option is None or option.positional:
            raise UserError(
                f"/{command.name} has no option --{_clip(name)}. {_options_hint(command)}"
            )
        if option.key in raw:
            raise UserError(f"--{option.name} was given twice; give it once.")
        if option.kind is Kind.FLAG:
            if equals:
                raise UserError(f"--{option.name} is a switch and takes no value.")
            raw[option.key] = True
            i += 1
            continue
        if inline:
            raw[option.key] = inline
            i += 1
            continue
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if equals or following is None or _option_name(command, following) is not None:
            raise UserError(
                f"--{option.name} needs a value, e.g. --{option.name} {_example_value(option)}."
            )
        raw[option.key] = following.value
        i += 2
    raw.update(_assign_positionals(command, tokens, words, line))
    return raw


def _assign_positionals(
    command: Command, tokens: list[Token], words: list[int], line: str
) -> dict[str, str]:
    out: dict[str, str] = {}
    slots = command.positionals
    for index, option in enumerate(slots):
        if not words:
            break
        if option.rest and index == len(slots) - 1:
            out[option.key] = _rest_text(tokens, words, line)
            words = []
        else:
            out[option.key] = tokens[words.pop(0)].value
    if words:
        extra = " ".join(line[tokens[w].start : tokens[w].end] for w in words)
        hint = " Put names with spaces in quotes." if slots else ""
        raise UserError(
            f"/{command.name} did not expect '{_clip(extra)}'.{hint} Usage: {command.usage()}"
        )
    return out


def _rest_text(tokens: list[Token], words: list[int], line: str) -> str:
    """The rest of the line as typed (line breaks and inner quotes kept), options removed."""
    if len(words) == 1:
        return tokens[words[0]].value
    runs: list[str] = []
    run_start = words[0]
    for previous, current in zip(words, [*words[1:], None], strict=True):
        if current != previous + 1:
            single = tokens[run_start] if run_start == previous else None
            runs.append(
                single.value if single else line[tokens[run_start].start : tokens[previous].end]
            )
            run_start = current if current is not None else run_start
    return " ".join(runs)


def validate(command: Command, raw: dict[str, Any]) -> dict[str, Any]:
    """Type and check raw arguments; the result has every option's key, defaulted.

    Raises:
        UserError: naming the option, what was wrong, and the usage.
    """
    unknown = set(raw) - {o.key for o in command.options}
    if unknown:
        name = sorted(unknown)[0].replace("_", "-")
        raise UserError(f"/{command.name} has no option --{_clip(name)}. {_options_hint(command)}")
    return {o.key: _value(command, o, raw.get(o.key)) for o in command.options}


def _value(command: Command, option: Option, value: Any) -> Any:
    if option.kind is Kind.FLAG:
        return _flag(option, value)
    if isinstance(value, str):
        value = CONTROL.sub("", value).strip()  # PostgreSQL refuses NUL; none of it shows
        if is_blank(value):
            value = ""
    if value is None or value == "":
        if option.required:
            raise UserError(f"/{command.name} needs {_label(option)}. Usage: {command.usage()}")
        return None
    if option.kind is Kind.INTEGER:
        return _integer(option, value)
    if option.kind is Kind.MEMBER:
        return _member(option, value)
    if option.kind is Kind.CHANNEL:
        return _channel(option, value)
    return _text(option, value)


def _flag(option: Option, value: Any) -> bool:
    if value in (None, False, "false", "no", "off"):
        return False
    if value in (True, "true", "yes", "on"):
        return True
    raise UserError(f"--{option.name} is a switch: give it with no value.")


def _integer(option: Option, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise UserError(f"{_label(option).capitalize()} must be a whole number.")
    try:
        text = str(value).strip().removeprefix("#")
        if isinstance(value, str) and not INTEGER.fullmatch(text):
            raise ValueError(text)
        number = int(text) if isinstance(value, str) else value
    except ValueError:
        raise UserError(
            f"{_label(option).capitalize()} must be a whole number, not '{_clip(str(value))}'."
        ) from None
    low, high = option.min_value, option.max_value
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise UserError(f"{_label(option).capitalize()} must be {bounds}; got {number}.")
    return number


INTEGER = re.compile(r"[+-]?[0-9]+")
MENTION = re.compile(r"^<@!?([A-Za-z0-9]+)(?:\|([^>]*))?>$")


def _member(option: Option, value: Any) -> MemberRef:
    if isinstance(value, MemberRef):
        return value
    text = str(value).strip()
    match = MENTION.match(text)
    if match:
        return MemberRef(id=match.group(1), name=match.group(2) or match.group(1))
    name = text.lstrip("@")
    if not name or len(name) > catalogue.NAME_MAX or name.lower() in {"everyone", "here"}:
        raise UserError(
            f"{_label(option).capitalize()} must name one member, e.g. @ana, not '{_clip(text)}'."
        )
    return MemberRef(id=None, name=name)


CHANNEL_LINK = re.compile(r"^<#([A-Za-z0-9]{1,40})(?:\|[^>]*)?>$")  # Discord <#1>, Slack <#C1|x>
CHANNEL_NAME = re.compile(r"^#?([\w\-]{1,80})$")


def _channel(option: Option, value: Any) -> str:
    """A channel id (from a platform's link) or a name; ``here`` means this channel."""
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    match = CHANNEL_LINK.match(text) or CHANNEL_NAME.match(text)
    if not match or match.group(1).lower() in {"everyone", "channel"}:
        raise UserError(
            f"{_label(option).capitalize()} must be a channel, e.g. #general or here, "
            f"not '{_clip(text)}'."
        )
    return match.group(1)


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _text(option: Option, value: Any) -> str:
    if not isinstance(value, str):
        raise UserError(f"{_label(option).capitalize()} must be text.")
    if option.choices:
        lowered = value.lower()
        if lowered not in option.choices:
            raise UserError(
                f"{_label(option).capitalize()} must be one of "
                f"{', '.join(option.choices)}; got '{_clip(value)}'."
            )
        return lowered
    if option.min_length is not None and len(value) < option.min_length:
        raise UserError(
            f"{_label(option).capitalize()} must be at least {option.min_length} characters."
        )
    if option.max_length is not None and len(value) > option.max_length:
        raise UserError(
            f"{_label(option).capitalize()} is {len(value):,} characters; the limit "
            f"is {option.max_length:,}. Shorten it and try again."
        )
    return value


def _label(option: Option) -> str:
    return f"<{option.name}>" if option.positional else f"--{option.name}"


def _example_value(option: Option) -> str:
    if option.choices:
        return option.choices[0]
    return option.placeholder or ("3" if option.kind is Kind.INTEGER else "text")


def _options_hint(command: Command) -> str:
    named = [f"--{o.name}" for o in command.options if not o.positional]
    listed = f"Its options: {', '.join(named)}." if named else "It takes no options."
    return f"{listed} Usage: {command.usage()}"


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word.lower(), list(choices), n=1)
    return f" Did you mean {close[0]}?" if close else ""


def _clip(text: str) -> str:
    return shorten(text, 40)
