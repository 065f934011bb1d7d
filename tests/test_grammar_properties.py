"""Property tests for the shared text grammar (bot/grammar.py) against the catalogue.

How the parser treats whitespace, which the round-trip properties compare against:

- Between tokens, any run of characters for which ``str.isspace()`` is true separates tokens:
  spaces, tabs, newlines, NBSP, U+3000, the ASCII separators U+001C..U+001F and so on.
- A quoted run is one token: "...", “...”, „...“ or «...». Any of " ” “ » closes it, and the
  whitespace inside it is kept. Apostrophes and single quotes (' ’ ‘) are ordinary characters.
- validate() strips leading and trailing whitespace from every text value. A value made only of
  invisible characters (whitespace, U+200B..U+200F, U+2060..U+2064, U+FEFF, U+00AD) counts as
  not given.
- Text values lose their ASCII control characters (U+0000..U+0008, U+000B..U+001F, U+007F; so
  "\r\n" becomes "\n"); line feed and tab stay. Length limits count what is left, and a value
  made only of control characters counts as not given.
- A positional that takes the rest of the line (``rest=True``) and is given as several tokens
  keeps the text exactly as typed from its first word to its last: line breaks, runs of spaces
  and inner quotes stay. Options between its words split it into runs, and the runs are joined
  with one space. Given as one token, it is that token's value (a quoted token: its inner text).
- ``--name`` is always an option (an unknown one is refused). Any other unquoted word led by
  hyphens or dashes (``DASHLIKE``: one or more, mixed) whose first character after them is a letter
  is read by its name (up to "=", any case): the exact name of one of the command's named options
  is that option (``-anonymous``, ``\u2010\u2010private``, ``\u2212MOOD=3``); a prefix of one, or a
  difflib close match (cutoff 0.7), is refused with "Did you mean --<option>? Options start with
  two hyphens, e.g. --<option>."; anything else is ordinary text. Digits after the dash (``-1``),
  a lone dash and quoted words are text.
- Integers are ASCII digits with an optional sign, after an optional ``#`` (``#3`` is 3).
"""

from __future__ import annotations

import contextlib
import difflib
import itertools
import re
import string
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot import catalogue, grammar
from bot.catalogue import Command, Kind, Option
from bot.errors import UserError
from bot.grammar import parse, tokenize, validate
from bot.types import MemberRef

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

QUOTE_CHARS = frozenset(grammar.OPEN_QUOTES) | frozenset(grammar.CLOSERS)
QUOTE_PAIRS = (('"', '"'), ("\u201c", "\u201d"), ("\u201e", "\u201c"), ("\u00ab", "\u00bb"))
SEPARATORS = st.sampled_from([" ", "  ", "\t", "\n", " \u3000", "\u00a0", "\r\n"])
INT_COLUMN_MAX = 2**31 - 1  # sa.Integer: PostgreSQL int4 (SQLite stores up to 2**63 - 1)
# Every hyphen or dash that may lead an option: - U+2010..U+2015 U+2212 U+FE58 U+FE63 U+FF0D.
DASHLIKE = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
# What validate removes from text values (line feed U+000A and tab U+0009 stay).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
CONTROL_CHARS = "".join(chr(c) for c in [*range(0x09), *range(0x0B, 0x20), 0x7F])
# What validate treats as showing nothing; every one of these alone is "not given".
INVISIBLE_CHARS = "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad"


def run(line: str) -> tuple[Command, dict[str, Any]]:
    """Parse and validate one line, as the text adapters do."""
    command, raw = parse(line)
    return command, validate(command, raw)


def text_options() -> list[tuple[Command, Option]]:
    return [
        (c, o)
        for c in catalogue.COMMANDS
        for o in c.options
        if o.kind is Kind.TEXT and not o.choices and o.max_length is not None
    ]


def integer_options() -> list[tuple[Command, Option]]:
    return [(c, o) for c in catalogue.COMMANDS for o in c.options if o.kind is Kind.INTEGER]


def has_named(command: Command) -> bool:
    return any(not o.positional for o in command.options)


def valued_options() -> list[tuple[Command, Option]]:
    return [(c, o) for c in catalogue.COMMANDS for o in c.options if o.kind is not Kind.FLAG]


def minimal(option: Option) -> Any:
    """The smallest valid value of a required option."""
    if option.kind is Kind.INTEGER:
        return option.min_value or 1
    if option.choices:
        return option.choices[0]
    return "x" * max(option.min_length or 1, 1)


def needed(command: Command, option: Option) -> dict[str, Any]:
    """Minimal values for the other required options of ``command``."""
    return {o.key: minimal(o) for o in command.options if o.required and o is not option}


def clean(text: str) -> str:
    """A text value with its control characters removed, as validate leaves it."""
    return CONTROL.sub("", text)


def named_options(command: Command) -> list[str]:
    return [o.name for o in command.options if not o.positional]


def near_options(command: Command, name: str) -> list[str]:
    """The options a dash-led ``name`` (not an exact one) is refused as a near miss of."""
    named = named_options(command)
    return [o for o in named if o.startswith(name)] or difflib.get_close_matches(
        name, named, n=1, cutoff=0.7
    )


def reading(command: Command, word: str) -> str:
    """How ``command`` reads an unquoted ``word``, by the spec: "option", "near" or "text"."""
    if word.startswith("--"):
        return "text" if word == "--" else "option"
    stripped = word.lstrip(DASHLIKE)
    name = stripped.partition("=")[0].lower()
    if stripped == word or not name[:1].isalpha():
        return "text"
    if name in named_options(command):
        return "option"
    return "near" if near_options(command, name) else "text"


def read_as_text(command: Command, word: str) -> bool:
    """Whether an unquoted ``word`` is ordinary text to ``command`` (not an option, not refused)."""
    return reading(command, word) == "text"


def suggestion(message: str) -> str:
    """The option a near-miss refusal suggests; fails unless the message has the fixed form."""
    match = re.fullmatch(
        r"Did you mean --(\S+)\? Options start with two hyphens, e.g. --(\S+)\.", message
    )
    assert match is not None and match[1] == match[2], message
    return match[1]


def split_typed(text: str) -> tuple[list[str], list[str]]:
    """The words of ``text`` (split as the tokenizer splits) and the whitespace between them."""
    words: list[str] = []
    gaps: list[str] = []
    current, space = "", ""
    for ch in text:
        if ch.isspace():
            space += ch
            continue
        if space and current:
            words.append(current)
            gaps.append(space)
            current = ""
        space = ""
        current += ch
    if current:
        words.append(current)
    return words, gaps


# -- strategies -------------------------------------------------------------------------------

TEXT_CHARS = st.one_of(
    st.sampled_from("abc xyz  '’‘-=_/.,\t\n—"),
    st.sampled_from(DASHLIKE + "pgm\x00\x01\x1b\x7f"),  # dash-led words, near names, controls
    st.characters(exclude_categories=("Cs",), exclude_characters=QUOTE_CHARS),
)
NAME_CHARS = st.one_of(st.characters(categories=("L", "N")), st.sampled_from("._-'"))
# Rendered quoted where the command would not read them as text ("--x", "-mood").
MEMBER_NAMES = st.text(NAME_CHARS, min_size=1, max_size=catalogue.NAME_MAX).filter(
    lambda s: s.lower() not in {"everyone", "here"}
)
MENTION_IDS = st.text(string.ascii_letters + string.digits, min_size=1, max_size=20)
CHANNEL_NAMES = st.text(
    string.ascii_lowercase + string.digits + "-_", min_size=1, max_size=30
).filter(lambda s: s not in {"everyone", "channel"} and not s.startswith("-"))

# Fragments for hostile lines: every quote kind, dashes, option-looking words, mentions.
NASTY_FRAGMENTS = st.one_of(
    st.sampled_from([*sorted(QUOTE_CHARS), "'", "’", "‘", "`", "‚", "‹", "›"]),
    st.sampled_from([" ", "\t", "\n", "\r", "\x00", "\x1c", "\x85", "\u2028", "\u3000"]),
    st.sampled_from(["-", "--", "---", "=", "--=", "@", "<@", ">", "|", "/", "//", "_"]),
    st.sampled_from(["--mood", "--private", "--capacity=", "--tz", "--x", "--remove_organiser"]),
    st.sampled_from(["\u2014", "\u2013", "\u2014mood", "\u2013private=", "\u2014x", "\u2014-days"]),
    st.sampled_from(
        [*DASHLIKE, "-m", "-moo", "\u2010\u2010private", "\u2212anon", "\uff0dx", "-1"]
    ),
    st.sampled_from(["-organiser", "\ufe63page=2", "-remove_organiser", "\u2011\u2012upcoming"]),
    st.sampled_from(sorted(CONTROL_CHARS)),
    st.sampled_from(["list", "export", "cohort", "me", "join", "LIST", "0", "-1", "1_0", "٣"]),
    st.sampled_from(["#", "#1", "##2", "#-3", "+4", "３", "2147483648", "9" * 30]),
    st.sampled_from(["<@U1|ana>", "@everyone", "99999999999999999999", "İ", "ß", "\u0301"]),
    st.sampled_from([*INVISIBLE_CHARS, "\u2028", "\u00a0"]),
    st.text(max_size=8),
)
NASTY_TEXT = st.one_of(st.text(), st.lists(NASTY_FRAGMENTS, max_size=30).map("".join))
DASH = st.sampled_from(DASHLIKE)
# One or two of them, mixed or not: "-", "\u2010\u2010", "-\u2212", and "--" too.
DASH_PREFIXES = st.one_of(DASH, st.tuples(DASH, DASH).map("".join))


def visible(text: str) -> bool:
    return any(not c.isspace() and c not in INVISIBLE_CHARS for c in text)


def ends_clean(text: str) -> bool:
    """Removing control characters exposes no whitespace at the ends, so generated values
    need no second strip to predict what validate returns."""
    return clean(text) == clean(text).strip()


def text_values(option: Option, *, too_long: bool = False) -> st.SearchStrategy[str]:
    """Stripped text whose control-free form (what validate returns) is within the option's
    length limits (or just over ``max_length``)."""
    lo = max(option.min_length or 0, 1)
    hi = option.max_length if option.max_length is not None else 300
    if too_long:
        return (
            st.text(TEXT_CHARS, min_size=hi + 1, max_size=hi + 30)
            .map(str.strip)
            .filter(lambda s: len(clean(s)) > hi and ends_clean(s))
        )
    short = st.text(TEXT_CHARS, min_size=lo, max_size=min(hi, 40))
    longest = st.text(TEXT_CHARS, min_size=hi, max_size=hi)
    return (
        st.one_of(short, short, short, longest)
        .map(str.strip)
        .filter(lambda s: lo <= len(clean(s)) <= hi and visible(clean(s)) and ends_clean(s))
    )


def random_case(draw: st.DrawFn, word: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.upper() if f else c.lower() for c, f in zip(word, flips, strict=True))


def quote(draw: st.DrawFn, value: str) -> str:
    opener, closer = draw(st.sampled_from(QUOTE_PAIRS))
    return f"{opener}{value}{closer}"


def render_text(
    draw: st.DrawFn, command: Command, value: str, *, rest: bool
) -> tuple[list[str], list[str]]:
    """Tokens for a text value and, for an unquoted rest, the whitespace typed between them."""
    words, gaps = split_typed(value)
    plain = all(read_as_text(command, w) for w in words)
    if rest and plain and len(words) > 1 and draw(st.booleans()):
        return words, gaps  # unquoted: the parser gives back the text as typed
    if len(words) > 1 or not plain or draw(st.booleans()):
        return [quote(draw, value)], []
    return [value], []


@dataclass(frozen=True)
class Piece:
    """The tokens of one positional value; ``gaps``: typed whitespace between them, if fixed."""

    option: Option
    tokens: tuple[str, ...]
    gaps: tuple[str, ...] = ()


def render_value(
    draw: st.DrawFn, command: Command, option: Option, bad: str | None
) -> tuple[Piece, Any]:
    """Tokens for one (non-flag) value of ``option`` and the validated value expected."""

    def piece(tokens: list[str], gaps: list[str] | None = None) -> Piece:
        return Piece(option, tuple(tokens), tuple(gaps or ()))

    if bad == "long":
        value = draw(text_values(option, too_long=True))
        return piece(*render_text(draw, command, value, rest=option.rest)), None
    if bad == "int":
        low, high = option.min_value, option.max_value
        below = st.integers(max_value=low - 1, min_value=-(10**6)) if low is not None else None
        above = st.integers(min_value=high + 1, max_value=10**9) if high is not None else None
        number = draw(st.one_of(*[s for s in (below, above) if s is not None]))
        return piece([str(number)]), None
    if option.kind is Kind.INTEGER:
        high = option.max_value if option.max_value is not None else INT_COLUMN_MAX
        number = draw(st.integers(min_value=option.min_value or 0, max_value=high))
        token = draw(st.sampled_from(["", "#"])) + str(number)
        return piece([quote(draw, token) if draw(st.booleans()) else token]), number
    if option.kind is Kind.MEMBER:
        form = draw(st.sampled_from(["plain", "at", "mention", "mention_id", "mention_bang"]))
        if form in ("plain", "at"):
            name = draw(MEMBER_NAMES)
            token = ("@" if form == "at" else "") + name
            token = token if read_as_text(command, token) else quote(draw, token)
            return piece([token]), MemberRef(id=None, name=name)
        ident = draw(MENTION_IDS)
        if form == "mention":
            name = draw(MEMBER_NAMES)
            return piece([f"<@{ident}|{name}>"]), MemberRef(id=ident, name=name)
        bang = "!" if form == "mention_bang" else ""
        return piece([f"<@{bang}{ident}>"]), MemberRef(id=ident, name=ident)
    if option.kind is Kind.CHANNEL:
        form = draw(st.sampled_from(["plain", "hash", "discord", "slack"]))
        ident = draw(CHANNEL_NAMES if form in ("plain", "hash") else MENTION_IDS)
        token = {
            "plain": ident,
            "hash": f"#{ident}",
            "discord": f"<#{ident}>",
            "slack": f"<#{ident}|{draw(CHANNEL_NAMES)}>",
        }[form]
        return piece([token]), ident
    if option.choices:
        choice = draw(st.sampled_from(option.choices))
        token = random_case(draw, choice)
        return piece([quote(draw, token) if draw(st.booleans()) else token]), choice
    value = draw(text_values(option))
    return piece(*render_text(draw, command, value, rest=option.rest)), clean(value)


@dataclass(frozen=True)
class Case:
    """A command with valid (or one deliberately bad) argument values, not yet ordered."""

    command: Command
    expected: dict[str, Any]
    positional: tuple[Piece, ...]  # in order
    options: tuple[tuple[str, ...], ...]  # one chunk of one or two tokens per named option
    bad: Option | None = None


@st.composite
def cases(
    draw: st.DrawFn, command: Command | None = None, bad: str | None = None, named: bool = False
) -> Case:
    """Valid arguments for a command; ``bad`` ("long" | "int") makes exactly one invalid;
    ``named``: a command with named options, at least one of them given."""
    if named:
        command = draw(st.sampled_from([c for c in catalogue.COMMANDS if has_named(c)]))
    if bad == "long":
        command, target = draw(st.sampled_from(text_options()))
    elif bad == "int":
        command, target = draw(st.sampled_from(integer_options()))
    else:
        command = command or draw(st.sampled_from(catalogue.COMMANDS))
        target = None
    assert command is not None
    expected: dict[str, Any] = {
        o.key: (False if o.kind is Kind.FLAG else None) for o in command.options
    }
    positional: list[Piece] = []
    slots = command.positionals
    last_needed = slots.index(target) if target in slots else -1
    for index, option in enumerate(slots):
        if not (option.required or index <= last_needed or draw(st.booleans())):
            break  # optional positionals can only be left off from the end
        piece, value = render_value(draw, command, option, bad if option is target else None)
        positional.append(piece)
        expected[option.key] = value
    chunks: list[tuple[str, ...]] = []
    forced = (
        draw(st.sampled_from([o for o in command.options if not o.positional])) if named else None
    )
    for option in command.options:
        if option.positional or not (option in (target, forced) or draw(st.booleans())):
            continue
        if option.kind is Kind.FLAG:
            chunks.append((f"--{option.name}",))
            expected[option.key] = True
            continue
        piece, value = render_value(draw, command, option, bad if option is target else None)
        (token,) = piece.tokens
        inline = token[0] not in QUOTE_CHARS and draw(st.booleans())
        chunks.append((f"--{option.name}={token}",) if inline else (f"--{option.name}", token))
        expected[option.key] = value
    return Case(command, expected, tuple(positional), tuple(chunks), target)


@dataclass(frozen=True)
class Layout:
    """Argument tokens in order, the fixed whitespace before each (None: any separator), and
    what the parser gives for a rest positional typed as several words."""

    words: tuple[str, ...]
    gaps: tuple[str | None, ...]
    rest: str | None


def arrange(draw: st.DrawFn, case: Case, where: str = "anywhere", dashes: bool = False) -> Layout:
    """Positionals in order, option chunks in random order and places.

    A rest typed as several words keeps the whitespace typed between them; an option chunk
    placed between two of its words splits it into runs, which the parser joins with a space.
    ``dashes`` spells each option with one or two hyphens or dashes (``DASHLIKE``) instead of
    ``--``.
    """
    chunks = list(draw(st.permutations(case.options))) if case.options else []
    if dashes:
        chunks = [(draw(DASH_PREFIXES) + c[0][2:], *c[1:]) for c in chunks]
    flat = [(piece, j) for piece in case.positional for j in range(len(piece.tokens))]
    n = len(flat)
    if where == "before":
        places = [0] * len(chunks)
    elif where == "after":
        places = [n] * len(chunks)
    else:
        places = sorted(
            draw(st.lists(st.integers(0, n), min_size=len(chunks), max_size=len(chunks)))
        )
    words: list[str] = []
    gaps: list[str | None] = []
    runs: list[str] = []
    pending = list(zip(places, chunks, strict=True))
    for index in range(n + 1):
        split = False
        while pending and pending[0][0] == index:
            chunk = pending.pop(0)[1]
            words.extend(chunk)
            gaps.extend([None] * len(chunk))
            split = True
        if index == n:
            break
        piece, j = flat[index]
        token = piece.tokens[j]
        words.append(token)
        if piece.gaps and j > 0 and not split:
            gaps.append(piece.gaps[j - 1])
            runs[-1] += piece.gaps[j - 1] + token
        else:
            gaps.append(None)
            if piece.gaps:
                runs.append(token)
    return Layout(tuple(words), tuple(gaps), " ".join(runs) if runs else None)


def join(draw: st.DrawFn, words: list[str], gaps: list[str | None] | None = None) -> str:
    """Words joined by random separators, or by the given gap where one is fixed."""
    fixed = gaps if gaps is not None else [None] * len(words)
    seps = draw(st.lists(SEPARATORS, min_size=len(words), max_size=len(words)))
    return "".join(
        (gap if gap is not None else sep) + word
        for sep, gap, word in zip(seps, fixed, words, strict=True)
    ).lstrip()


@dataclass(frozen=True)
class Line:
    """A rendered command line, what run() must return for it, and the raw rest text if any."""

    text: str
    expected: dict[str, Any]
    rest: str | None


def render(
    draw: st.DrawFn,
    case: Case,
    *,
    head: list[str] | None = None,
    where: str = "anywhere",
    dashes: bool = False,
) -> Line:
    """A full command line for ``case``; ``head`` replaces the "/group join"-style words."""
    layout = arrange(draw, case, where, dashes)
    args = list(layout.words)
    path = head if head is not None else ["/" + case.command.path[0], *case.command.path[1:]]
    if len(case.command.path) == 1 and args:
        # "/reflect list" (alone or with options) is /reflect list: an unquoted subcommand word
        # right after a bare command is the subcommand; quote it to mean the text. (With more
        # words after it, "/reflect list of things" is a reflection: see the examples.)
        first = args[0]
        subs = catalogue.subcommands(case.command.path[0])
        assume(first[0] in QUOTE_CHARS or first.lower() not in subs)
    expected = dict(case.expected)
    rest = next((p.option for p in case.positional if p.gaps), None)
    if rest is not None and layout.rest is not None and rest is not case.bad:
        # Runs joined with one space can be shorter than the value typed in one piece.
        assume(len(clean(layout.rest)) >= (rest.min_length or 0))
        expected[rest.key] = clean(layout.rest)
    text = join(draw, path + args, [None] * len(path) + list(layout.gaps))
    return Line(text, expected, layout.rest)


# -- never anything but UserError -------------------------------------------------------------


def parses_or_user_error(line: str) -> None:
    try:
        run(line)
    except UserError as error:
        assert error.message  # every rejection says what to do
        assert isinstance(error.message, str)


@SETTINGS
@given(line=NASTY_TEXT)
def test_arbitrary_text_raises_only_user_error(line: str) -> None:
    with contextlib.suppress(UserError):
        tokenize(line)
    parses_or_user_error(line)
    parses_or_user_error("/" + line)


@SETTINGS
@given(
    command=st.sampled_from(catalogue.COMMANDS),
    prefix=st.sampled_from(["/", "", "/cohort ", "/COHORT "]),
    text=NASTY_TEXT,
)
def test_text_after_a_real_command_raises_only_user_error(
    command: Command, prefix: str, text: str
) -> None:
    parses_or_user_error(f"{prefix}{command.name} {text}")


@SETTINGS
@given(
    command=st.sampled_from(catalogue.COMMANDS),
    values=st.dictionaries(
        st.sampled_from(sorted({o.key for c in catalogue.COMMANDS for o in c.options})),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.floats(),
            NASTY_TEXT,
            st.builds(MemberRef, st.none() | st.text(max_size=5), st.text(max_size=70)),
        ),
    ),
)
def test_validate_raises_only_user_error_for_typed_values(
    command: Command, values: dict[str, Any]
) -> None:
    """Discord hands typed values straight to validate: it may refuse them, never crash."""
    try:
        validate(command, values)
    except UserError as error:
        assert error.message


# -- round-trip -------------------------------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_round_trip_every_command(data: st.DataObject) -> None:
    case = data.draw(cases())
    line = render(data.draw, case)
    command, values = run(line.text)
    assert command.path == case.command.path, line.text
    assert values == line.expected, line.text


@FEW
@given(data=st.data(), command=st.sampled_from(catalogue.COMMANDS))
def test_round_trip_each_command(data: st.DataObject, command: Command) -> None:
    """The same property, so that rarely drawn commands are exercised too."""
    case = data.draw(cases(command))
    line = render(data.draw, case)
    assert run(line.text) == (command, line.expected), line.text


@SETTINGS
@given(data=st.data())
def test_validate_accepts_its_own_typed_output(data: st.DataObject) -> None:
    """What validate returns, passed back as Discord would, comes out unchanged."""
    case = data.draw(cases())
    typed = {k: v for k, v in case.expected.items() if v is not None}
    assert validate(case.command, typed) == case.expected


@SETTINGS
@given(data=st.data())
def test_named_options_can_go_before_between_or_after_positionals(data: st.DataObject) -> None:
    case = data.draw(cases())
    lines = {
        where: render(data.draw, case, where=where) for where in ("before", "after", "anywhere")
    }
    results = {where: run(line.text) for where, line in lines.items()}
    # Not between the words of a rest: it is typed in one piece, exactly as generated.
    assert results["before"] == results["after"] == (case.command, case.expected)
    assert results["anywhere"] == (case.command, lines["anywhere"].expected)


@SETTINGS
@given(data=st.data())
def test_command_subcommand_and_option_names_ignore_case(data: st.DataObject) -> None:
    case = data.draw(cases())
    head = ["/" + random_case(data.draw, case.command.path[0])]
    head += [random_case(data.draw, word) for word in case.command.path[1:]]
    shouty = Case(
        case.command,
        case.expected,
        case.positional,
        tuple(
            (
                random_case(data.draw, chunk[0].partition("=")[0])
                + "".join(chunk[0].partition("=")[1:]),
                *chunk[1:],
            )
            for chunk in case.options
        ),
    )
    line = render(data.draw, shouty, head=head)
    assert run(line.text) == (case.command, line.expected), line.text


@SETTINGS
@given(
    data=st.data(),
    spelling=st.sampled_from(["/cohort", "/Cohort", "/COHORT", "cohort"]),
    slash=st.sampled_from(["", "/"]),
)
def test_cohort_prefix_reaches_every_command(
    data: st.DataObject, spelling: str, slash: str
) -> None:
    """Slack: "/cohort me export" is "/me export", "/cohort group join X" is "/group join X";
    "/cohort /me export" too."""
    case = data.draw(cases())
    head = [spelling, slash + case.command.path[0], *case.command.path[1:]]
    plain = render(data.draw, case, where="after")
    prefixed = render(data.draw, case, head=head, where="after")
    assert run(prefixed.text) == run(plain.text) == (case.command, case.expected)
    anywhere = render(data.draw, case, head=head)
    assert run(anywhere.text) == (case.command, anywhere.expected), anywhere.text


# -- dashes, line breaks and invisible text ---------------------------------------------------


def test_dashlike_is_the_documented_set() -> None:
    assert set(grammar.DASHLIKE) == set(DASHLIKE)


@SETTINGS
@given(data=st.data())
def test_any_dash_before_a_known_option_is_that_option(data: st.DataObject) -> None:
    """Phones and keyboards turn "--" into dashes: "\u2014anonymous", "\u2010\u2010private",
    "-MOOD=3", "\u2212\u2212days 7" are the options."""
    case = data.draw(cases(named=True))
    line = render(data.draw, case, dashes=True)
    assert run(line.text) == (case.command, line.expected), line.text


def test_dash_option_first_under_a_bare_command() -> None:
    assert run("/checkin \u2014mood 3")[1]["mood"] == 3
    assert run("/checkin -mood 3")[1]["mood"] == 3
    assert run("/reflect \u2212private hi")[1]["private"] is True


NAMED = [(c, o) for c in catalogue.COMMANDS for o in c.options if not o.positional]


def dashed_line(command: Command, option: Option, spelled: str) -> tuple[str, Any]:
    """A valid line giving ``option`` as ``spelled`` (its name with some lead), and its value."""
    words = [str(minimal(o)) for o in command.positionals if o.required]
    if option.kind is Kind.FLAG:
        return " ".join(["/" + " ".join(command.path), *words, spelled]), True
    value = minimal(option)
    expected = MemberRef(None, value) if option.kind is Kind.MEMBER else value
    return " ".join(["/" + " ".join(command.path), *words, spelled, str(value)]), expected


@pytest.mark.parametrize("times", [1, 2], ids=["single", "double"])
@pytest.mark.parametrize("dash", list(DASHLIKE), ids=lambda d: f"U+{ord(d):04X}")
def test_every_dash_before_every_option_name_is_that_option(dash: str, times: int) -> None:
    for command, option in NAMED:
        for name in (option.name, option.name.upper()):
            line, value = dashed_line(command, option, dash * times + name)
            got = run(line)
            assert got[1][option.key] == value, line
            assert got == run(dashed_line(command, option, "--" + option.name)[0]), line


@st.composite
def near_misses(draw: st.DrawFn, command: Command) -> tuple[str, str]:
    """A name one of ``command``'s options starts with, or one edit away from: (near, option)."""
    option = draw(st.sampled_from(named_options(command)))
    edit = draw(st.sampled_from(["prefix", "drop", "swap", "change", "add"]))
    at = draw(st.integers(0, len(option) - 1))
    letter = draw(st.sampled_from(string.ascii_lowercase))
    if edit == "prefix":
        near = option[: at + 1]
    elif edit == "drop":
        near = option[:at] + option[at + 1 :]
    elif edit == "swap":
        near = option[:at] + option[at + 1 : at + 2] + option[at : at + 1] + option[at + 2 :]
    elif edit == "change":
        near = option[:at] + letter + option[at + 1 :]
    else:
        near = option[:at] + letter + option[at:]
    assume(near[:1].isalpha() and near not in named_options(command))
    return near, option


@SETTINGS
@given(
    command=st.sampled_from([c for c in catalogue.COMMANDS if has_named(c)]),
    data=st.data(),
)
def test_a_dash_before_a_near_option_name_is_refused_with_the_suggestion(
    command: Command, data: st.DataObject
) -> None:
    """A prefix or near miss is refused, never text: "/reflect secret -anon" must not publish
    a reflection meant to be anonymous. The message names the option, spelled with "--"."""
    near, source = data.draw(near_misses(command))
    named = named_options(command)
    typed = near.lower()
    prefixed = [o for o in named if o.startswith(typed)]
    close = [o for o in named if difflib.SequenceMatcher(None, o, typed).ratio() >= 0.7]
    assume(prefixed or close)  # one edit of a short name may be near nothing: text (below)
    lead = data.draw(DASH_PREFIXES.filter(lambda d: d != "--"))  # "--m": unknown, not near
    word = lead + random_case(data.draw, near) + data.draw(st.sampled_from(["", "=", "=3", "=yes"]))
    words = [str(minimal(o)) for o in command.positionals if o.required]
    words.insert(data.draw(st.integers(0, len(words))), word)
    line = join(data.draw, ["/" + command.path[0], *command.path[1:], *words])
    with pytest.raises(UserError) as caught:
        run(line)
    suggested = suggestion(caught.value.message)
    if prefixed:
        assert suggested in prefixed, line  # "-re" under /cohort setup: either option
    else:
        assert suggested in close, line
    if prefixed == [source] or (not prefixed and close == [source]):
        assert suggested == source, line


REST_ONLY = [c for c in catalogue.COMMANDS if len(c.positionals) == 1 and c.positionals[0].rest]
ALL_OPTION_NAMES = sorted({o.name for c in catalogue.COMMANDS for o in c.options})


@SETTINGS
@given(
    command=st.sampled_from(REST_ONLY),
    dash=DASH_PREFIXES,
    name=st.one_of(
        st.sampled_from(ALL_OPTION_NAMES),
        st.text(string.ascii_letters + "-_=", max_size=8),
        st.text(string.digits + DASHLIKE, max_size=3),
    ),
    at=st.integers(0, 2),
    data=st.data(),
)
def test_a_dash_before_any_other_word_is_text(
    command: Command, dash: str, name: str, at: int, data: st.DataObject
) -> None:
    """Another command's option, a positional's name, a far word, digits, a lone dash."""
    word = dash + random_case(data.draw, name)
    assume(read_as_text(command, word))  # not this command's option, nor near one
    words = ["alpha", "beta"]
    words.insert(at, word)
    gaps = data.draw(st.lists(SEPARATORS, min_size=2, max_size=2))
    typed = words[0] + gaps[0] + words[1] + gaps[1] + words[2]
    head = "/" + " ".join(command.path)
    assert run(f"{head} {typed}")[1][command.positionals[0].key] == clean(typed)


NAMED_TEXT = [(c, o) for c, o in NAMED if o.kind is Kind.TEXT and not o.choices]


@SETTINGS
@given(target=st.sampled_from(NAMED_TEXT), data=st.data())
def test_a_quoted_dash_word_is_text(target: tuple[Command, Option], data: st.DataObject) -> None:
    """Quoting is how to say "-mood" as text, here as an option's value."""
    command, option = target
    name = data.draw(st.sampled_from(named_options(command)))
    word = data.draw(DASH_PREFIXES) + data.draw(st.sampled_from([name, name[:2], name + "x"]))
    assume(len(word) <= (option.max_length or len(word)))  # --checkin-reminder holds 5
    words = [str(minimal(o)) for o in command.positionals if o.required]
    line = " ".join(
        ["/" + " ".join(command.path), *words, f"--{option.name}", quote(data.draw, word)]
    )
    assert run(line)[1][option.key] == word, line


def test_dash_examples() -> None:
    assert run("/reflect it clicked \u2014anonymous")[1] == {
        "text": "it clicked",
        "private": False,
        "anonymous": True,
    }
    assert run("/reflect \u2013Private it clicked")[1]["private"] is True
    assert run("/checkin --progress done \u2014mood=4 \u2013blockers sql")[1] == {
        "mood": 4,
        "progress": "done",
        "blockers": "sql",
        "group": None,
    }
    assert run("/group create Algebra \u2014capacity 6 \u2013private")[1]["capacity"] == 6
    assert run("/me forget \u2014confirm")[1] == {"confirm": True}
    assert run("/me forget -confirm")[1] == {"confirm": True}
    assert run("/me back \u2010\u2010upcoming")[1] == {"upcoming": True}
    assert run("/reflect hi \u2212\u2212private")[1]["private"] is True
    assert run("/reflect hi -\u2014anonymous")[1]["anonymous"] is True  # mixed dashes
    assert run("/cohort setup -remove-organiser ana")[1]["remove_organiser"] == MemberRef(
        None, "ana"
    )
    assert run("/reflect hello \u2014public")[1]["text"] == "hello \u2014public"  # not near
    assert run("/reflect \u2014text hi")[1]["text"] == "\u2014text hi"  # a positional's name
    assert run("/reflect hi -mood")[1]["text"] == "hi -mood"  # another command's option
    assert run("/reflect \u2014\u2014private hi")[1] == {  # two dashes: the option
        "text": "hi",
        "private": True,
        "anonymous": False,
    }
    assert run('/reflect "\u2014private" hi')[1] == {
        "text": '"\u2014private" hi',  # quoted: text, quotes kept
        "private": False,
        "anonymous": False,
    }
    assert run('/checkin --progress "-mood"')[1]["progress"] == "-mood"
    assert run("/reflect a \u2014 b \u2013 - \u2212")[1]["text"] == "a \u2014 b \u2013 - \u2212"
    assert run("/reflect -1 -2x \u22123")[1]["text"] == "-1 -2x \u22123"  # digits after it
    assert run("/reflect -=x -_private")[1]["text"] == "-=x -_private"  # no letter after it
    assert parse("/checkin --mood -1")[1] == {"mood": "-1"}  # the value; validate refuses it
    with pytest.raises(UserError, match="--mood needs a value"):
        run("/checkin --progress x \u2014mood")
    with pytest.raises(UserError, match="--private was given twice"):
        run("/reflect hi --private \u2013private")
    with pytest.raises(UserError, match="--private was given twice"):
        run("/reflect hi -private \uff0dPRIVATE")
    with pytest.raises(UserError, match="has no option --x"):
        run("/reflect hi --x")  # "--" is always an option, known or not
    with pytest.raises(UserError, match="has no option ---private"):
        run("/reflect hi ---private")  # led by "--": unchanged


@pytest.mark.parametrize(
    ("line", "option"),
    [
        ("/reflect secret \u2014anon", "anonymous"),
        ("/reflect x -anonymou", "anonymous"),
        ("/reflect x -annonymous", "anonymous"),
        ("/reflect x -a", "anonymous"),
        ("/reflect \u2010\u2010privte x", "private"),
        ("/reflect x -privat=yes", "private"),
        ("/checkin -m 3", "mood"),
        ("/checkin --progress done -grop x", "group"),
        ("/checkin --progress -mo", "mood"),  # where a value is due, too
        ("/group create Algebra -cap 6", "capacity"),
        ("/group list \u2212pgae 2", "page"),
        ("/cohort setup -timezon Europe/Berlin", "timezone"),
        ("/cohort setup -organizer ana", "organiser"),
        ("/prompts add what surprised you? \uff0dpak x", "pack"),
        ("/me back -up", "upcoming"),
        ("/me forget -conf", "confirm"),
    ],
)
def test_near_option_examples(line: str, option: str) -> None:
    with pytest.raises(UserError) as caught:
        run(line)
    assert suggestion(caught.value.message) == option


PLAIN_WORD = st.text(
    st.characters(
        exclude_categories=("Cs",),
        exclude_characters=QUOTE_CHARS | set(DASHLIKE) | set(INVISIBLE_CHARS),
    ),
    min_size=1,
    max_size=6,
).filter(lambda w: not any(c.isspace() for c in w) and clean(w))  # not only control characters
QUOTED_WORD = st.builds(
    lambda inner, pair: pair[0] + inner + pair[1],
    st.text(
        st.one_of(st.sampled_from(" \n\r\t"), st.characters(exclude_characters=QUOTE_CHARS)),
        max_size=8,
    ),
    st.sampled_from(QUOTE_PAIRS),
)
LINE_BREAKS = st.sampled_from(
    ["\n", "\r\n", "\n\n", " \n", "\n  ", "\t\n", "\u2028", "\x85", "\n\u3000", " \r\n\r\n "]
)
TYPED_REST = [
    ("/reflect", "text"),
    ("/tutor request recursion", "details"),
    ("/tutor thank 1", "message"),
]


@st.composite
def typed_text(draw: st.DrawFn) -> str:
    """Several words (some quoted, with line breaks inside) joined by line breaks."""
    words = draw(st.lists(st.one_of(PLAIN_WORD, PLAIN_WORD, QUOTED_WORD), min_size=2, max_size=6))
    gaps = draw(st.lists(LINE_BREAKS, min_size=len(words) - 1, max_size=len(words) - 1))
    return words[0] + "".join(g + w for g, w in zip(gaps, words[1:], strict=True))


@SETTINGS
@given(
    target=st.sampled_from(TYPED_REST), typed=typed_text(), ends=st.tuples(SEPARATORS, SEPARATORS)
)
def test_rest_text_keeps_line_breaks_and_inner_quotes(
    target: tuple[str, str], typed: str, ends: tuple[str, str]
) -> None:
    head, key = target
    assert run(head + ends[0] + typed + ends[1])[1][key] == clean(typed)  # "\r\n" is "\n"


@SETTINGS
@given(
    first=typed_text(),
    second=typed_text(),
    flag=st.sampled_from(
        [
            "--private",
            "--ANONYMOUS",
            "\u2014private",
            "\u2013anonymous",
            "-private",
            "\u2212Anonymous",
        ]
    ),
    seps=st.tuples(LINE_BREAKS, LINE_BREAKS),
)
def test_runs_split_by_an_option_are_joined_with_one_space(
    first: str, second: str, flag: str, seps: tuple[str, str]
) -> None:
    _, values = run(f"/reflect {first}{seps[0]}{flag}{seps[1]}{second}")
    assert values["text"] == clean(f"{first} {second}")
    assert values["private"] or values["anonymous"]


INVISIBLE_TEXT = st.text(
    st.sampled_from(INVISIBLE_CHARS + " \t\n\u3000\u00a0\u2028"), min_size=1, max_size=10
).filter(str.strip)  # at least one character that is not whitespace


def needs_message(command: Command, option: Option) -> str:
    return f"/{command.name} needs {grammar._label(option)}. Usage: {command.usage()}"


def assert_counts_as_missing(command: Command, option: Option, blank: str) -> None:
    """Required: refused with "needs <x>"; optional: not given."""
    others = needed(command, option)
    if option.required:
        with pytest.raises(UserError) as caught:
            validate(command, {**others, option.key: blank})
        assert caught.value.message == needs_message(command, option)
    else:
        assert validate(command, {**others, option.key: blank})[option.key] is None


@SETTINGS
@given(target=st.sampled_from(valued_options()), blank=INVISIBLE_TEXT)
def test_invisible_only_values_are_missing(target: tuple[Command, Option], blank: str) -> None:
    """As Discord hands them to validate: required, "needs <x>"; optional, not given."""
    assert_counts_as_missing(*target, blank)


@SETTINGS
@given(target=st.sampled_from(valued_options()), blank=INVISIBLE_TEXT, data=st.data())
def test_invisible_only_text_on_the_command_line_is_missing(
    target: tuple[Command, Option], blank: str, data: st.DataObject
) -> None:
    command, option = target
    bare = " ".join(blank.split())
    one_word = len(blank.split()) == 1
    if option.rest and data.draw(st.booleans()):
        tokens = blank.split()  # unquoted words
    elif one_word and data.draw(st.booleans()):
        tokens = [bare]
    else:
        tokens = [quote(data.draw, blank)]
    words: list[str] = []
    slots = command.positionals
    last = slots.index(option) if option in slots else -1
    for index, slot in enumerate(slots):
        if slot is option:
            words += tokens
        elif slot.required or index < last:
            words.append(str(minimal(slot)))
    if not option.positional:
        inline = len(tokens) == 1 and tokens[0][0] not in QUOTE_CHARS and data.draw(st.booleans())
        words += [f"--{option.name}={tokens[0]}"] if inline else [f"--{option.name}", *tokens]
    line = join(data.draw, ["/" + command.path[0], *command.path[1:], *words])
    if option.required:
        with pytest.raises(UserError) as caught:
            run(line)
        assert caught.value.message == needs_message(command, option), line
    else:
        assert run(line)[1][option.key] is None, line


def test_visible_text_among_invisible_characters_is_kept() -> None:
    text = run("/reflect \u200b\u2060x\ufeff")[1]["text"]
    assert text is not None and "x" in text
    with pytest.raises(UserError, match="needs <text>"):
        run("/reflect \u200b\u2060 \ufeff\u00ad")


# -- control characters -----------------------------------------------------------------------

TEXT_KIND = [(c, o) for c in catalogue.COMMANDS for o in c.options if o.kind is Kind.TEXT]


@pytest.mark.parametrize("code", range(128), ids=lambda c: f"U+{c:04X}")
def test_exactly_the_ascii_control_characters_but_tab_and_line_feed_are_removed(
    code: int,
) -> None:
    command = catalogue.find(("reflect",))
    value = f"a{chr(code)}b"
    expected = "ab" if chr(code) in CONTROL_CHARS else value
    assert validate(command, {"text": value})["text"] == expected


@SETTINGS
@given(target=st.sampled_from(text_options()), data=st.data())
def test_control_characters_are_removed_and_limits_count_what_is_left(
    target: tuple[Command, Option], data: st.DataObject
) -> None:
    """Anywhere in a value, as Discord hands it over; a value at the limit may carry any number."""
    command, option = target
    core = data.draw(text_values(option).filter(lambda s: clean(s) == s))
    pieces = list(core)
    for _ in range(data.draw(st.integers(1, 5))):
        at = data.draw(st.integers(0, len(pieces)))
        pieces.insert(at, data.draw(st.sampled_from(CONTROL_CHARS)))
    value = "".join(pieces)
    assert validate(command, {**needed(command, option), option.key: value})[option.key] == core


def test_control_character_examples() -> None:
    assert run("/reflect a\x00b\x1bc\x7f d")[1]["text"] == "abc d"
    assert run("/reflect line one\r\nline\ttwo")[1]["text"] == "line one\nline\ttwo"
    assert run('/group join "Alg\x08ebra"')[1]["name"] == "Algebra"
    assert run("/checkin --progress \x01done")[1]["progress"] == "done"
    assert run("/group role g ana MEM\x00BER")[1]["role"] == "member"  # a choice too
    assert run("/me timezone Europe/\x7fBerlin")[1]["zone"] == "Europe/Berlin"
    assert run("/reflect " + "x" * 1500 + "\x01" * 10)[1]["text"] == "x" * 1500
    with pytest.raises(UserError, match="at least 5 characters"):
        run("/prompts add \x01wh\x02y\x03")  # three characters left


NON_SPACE_CONTROLS = [c for c in CONTROL_CHARS if not c.isspace()]  # str.strip keeps them
CONTROL_ONLY = st.text(st.sampled_from(CONTROL_CHARS), min_size=1, max_size=6).filter(
    lambda s: s.strip()  # not all of it is whitespace to str.strip (U+001C..U+001F, U+000B...)
)


@FEW
@given(target=st.sampled_from(TEXT_KIND), blank=CONTROL_ONLY)
def test_control_only_values_are_missing(target: tuple[Command, Option], blank: str) -> None:
    """As for invisible-only values: required, "needs <x>"; optional, not given."""
    assert_counts_as_missing(*target, blank)


@FEW
@given(
    target=st.sampled_from(text_options()),
    data=st.data(),
    space=st.text(st.sampled_from(" \t\n\u3000"), min_size=1, max_size=3),
    controls=st.text(st.sampled_from(NON_SPACE_CONTROLS), min_size=1, max_size=3),
)
def test_whitespace_left_at_the_ends_by_removed_controls_is_stripped(
    target: tuple[Command, Option], data: st.DataObject, space: str, controls: str
) -> None:
    command, option = target
    core = data.draw(text_values(option).filter(lambda s: clean(s) == s))
    value = data.draw(st.sampled_from([core + space + controls, controls + space + core]))
    assert validate(command, {**needed(command, option), option.key: value})[option.key] == core


def test_cohort_lists_every_command_when_the_word_is_unknown() -> None:
    with pytest.raises(UserError) as caught:
        run("/cohort frob")
    listed = caught.value.message.split("Choose one of: ")[1].rstrip(".").split(", ")
    assert set(listed) == set(catalogue.subcommands("cohort")) - {""} | (
        set(catalogue.TOP_LEVEL) - {"cohort"}
    )


@pytest.mark.parametrize("name", [t for t in catalogue.TOP_LEVEL if t != "cohort"])
def test_cohort_suggests_any_command(name: str) -> None:
    with pytest.raises(UserError) as caught:
        run(f"/cohort {name}{name[-1]}")
    assert f"Did you mean {name}?" in caught.value.message


@pytest.mark.parametrize("sub", sorted(set(catalogue.subcommands("me")) - {""}))
def test_me_suggests_its_subcommands(sub: str) -> None:
    typo = sub[1] + sub[0] + sub[2:]  # two letters swapped
    with pytest.raises(UserError) as caught:
        run(f"/me {typo}")
    assert f"/me has no subcommand '{typo}'. Did you mean {sub}?" in caught.value.message


# -- limits -----------------------------------------------------------------------------------


@SETTINGS
@given(data=st.data())
def test_text_over_max_length_is_rejected_with_the_limit(data: st.DataObject) -> None:
    case = data.draw(cases(bad="long"))
    assert case.bad is not None and case.bad.max_length is not None
    line = render(data.draw, case)
    command, raw = parse(line.text)
    length = len(clean(raw[case.bad.key].strip()))  # control characters don't count
    # Options between the words of a too-long rest shorten it (each gap becomes one space).
    assume(length > case.bad.max_length)
    if any(p.gaps and p.option is case.bad for p in case.positional):
        assert raw[case.bad.key] == line.rest  # a rest typed as several words, as typed
    with pytest.raises(UserError) as caught:
        validate(command, raw)
    limit = f"{case.bad.max_length:,}"
    assert f"the limit is {limit}." in caught.value.message, caught.value.message
    assert grammar._label(case.bad) in caught.value.message
    assert f"is {length:,} characters" in caught.value.message


@pytest.mark.parametrize(
    ("command", "option"), text_options(), ids=lambda x: getattr(x, "name", None)
)
def test_text_exactly_at_max_length_passes_and_one_more_fails(
    command: Command, option: Option
) -> None:
    assert option.max_length is not None
    others = needed(command, option)
    at_limit = validate(command, {**others, option.key: "é" * option.max_length})
    assert at_limit[option.key] == "é" * option.max_length
    with pytest.raises(UserError, match=f"limit is {option.max_length:,}\\."):
        validate(command, {**others, option.key: "é" * (option.max_length + 1)})


def test_thousands_separator_in_the_limit_message() -> None:
    with pytest.raises(UserError) as caught:
        run("/reflect " + "a" * 1501)
    assert "is 1,501 characters; the limit is 1,500." in caught.value.message


@SETTINGS
@given(data=st.data())
def test_integers_outside_min_max_are_rejected(data: st.DataObject) -> None:
    case = data.draw(cases(bad="int"))
    assert case.bad is not None
    command, raw = parse(render(data.draw, case).text)
    with pytest.raises(UserError) as caught:
        validate(command, raw)
    assert grammar._label(case.bad).capitalize() in caught.value.message
    assert f"got {int(raw[case.bad.key])}." in caught.value.message
    with pytest.raises(UserError):  # the same number, typed (Discord)
        validate(command, {**raw, case.bad.key: int(raw[case.bad.key])})


@FEW
@given(
    target=st.sampled_from(integer_options()),
    number=st.integers(min_value=INT_COLUMN_MAX + 1, max_value=10**30),
)
def test_integers_past_the_column_are_refused_or_left_to_the_store(
    target: tuple[Command, Option], number: int
) -> None:
    """A bounded integer refuses them here. A request id has no upper bound in the grammar: the
    number reaches the store, which answers "There is no help request #N" (test_bad_input)."""
    command, option = target
    raw = {**needed(command, option), option.key: str(number)}
    if option.max_value is not None:
        with pytest.raises(UserError, match=f"must be from {option.min_value} to"):
            validate(command, raw)
    else:
        assert option.positional and option.autocomplete in ("request", "schedule")
        assert validate(command, raw)[option.key] == number
        assert run(f"/{command.name} {number}")[1][option.key] == number


@SETTINGS
@given(target=st.sampled_from(integer_options()), data=st.data())
def test_integers_are_ascii_digits_with_a_sign_after_an_optional_hash(
    target: tuple[Command, Option], data: st.DataObject
) -> None:
    command, option = target
    number = data.draw(st.integers(option.min_value or 1, option.max_value or INT_COLUMN_MAX))
    hash_ = data.draw(st.sampled_from(["", "#"]))
    sign = data.draw(st.sampled_from(["", "+"]))
    zeros = "0" * data.draw(st.integers(0, 3))
    token = f"{hash_}{sign}{zeros}{number}"
    assert (
        validate(command, {**needed(command, option), option.key: token})[option.key] == number
    ), token


NON_ASCII_DIGITS = st.characters(categories=("Nd",)).filter(lambda c: c not in string.digits)


@SETTINGS
@given(target=st.sampled_from(integer_options()), data=st.data())
def test_other_digits_and_separators_are_not_whole_numbers(
    target: tuple[Command, Option], data: st.DataObject
) -> None:
    command, option = target
    digits = data.draw(st.text(st.sampled_from(string.digits), min_size=1, max_size=4))
    intruder = data.draw(
        st.one_of(NON_ASCII_DIGITS, st.sampled_from(["_", "#", ".", ",", "e", "x", "\u200b"]))
    )
    at = data.draw(st.integers(1 if intruder == "#" else 0, len(digits)))
    token = digits[:at] + intruder + digits[at:]
    with pytest.raises(UserError) as caught:
        validate(command, {**needed(command, option), option.key: token})
    assert "must be a whole number" in caught.value.message, (token, caught.value.message)


@pytest.mark.parametrize(
    "line",
    [
        "/checkin --mood abc",
        "/checkin --mood 2.5",
        "/tutor claim one",
        "/cohort stats --days 0",
        "/group create x --capacity 1",
        "/group create x --capacity 501",
        "/tutor claim 0",
        "/tutor claim #0",
        "/tutor claim #x",
        "/tutor claim ##3",
        "/tutor claim 1_0",
        "/tutor claim \uff13",
        "/tutor claim \u0663",
        "/checkin --mood=",
        "/tutor claim " + "9" * 5000,
    ],  # past int()'s 4,300-digit limit: ValueError, caught
)
def test_bad_integers_are_user_errors(line: str) -> None:
    with pytest.raises(UserError):
        run(line)


# -- apostrophes and quotes -------------------------------------------------------------------

APOSTROPHES = "'’‘`´ʼ"
APOSTROPHE_WORDS = st.lists(
    st.text(st.sampled_from(string.ascii_letters + APOSTROPHES), min_size=1, max_size=8).filter(
        lambda w: w.lower() != "list"
    ),
    min_size=1,
    max_size=8,
)


@SETTINGS
@given(words=APOSTROPHE_WORDS, seps=st.lists(SEPARATORS, min_size=8, max_size=8))
def test_apostrophes_never_start_quotes(words: list[str], seps: list[str]) -> None:
    line = "".join(sep + word for sep, word in zip(seps, words, strict=False))
    tokens = tokenize(line)
    assert [t.value for t in tokens] == words
    assert not any(t.quoted for t in tokens)
    _, values = run("/reflect " + line)
    typed = words[0] + "".join(sep + word for sep, word in zip(seps[1:], words[1:], strict=False))
    assert values["text"] == clean(typed)  # as typed, from the first word to the last


@SETTINGS
@given(line=st.text(st.characters(exclude_characters=set(grammar.OPEN_QUOTES))))
def test_without_opening_quotes_tokenize_is_str_split(line: str) -> None:
    tokens = tokenize(line)
    assert [t.value for t in tokens] == line.split()
    assert all(not t.quoted and line[t.start : t.end] == t.value for t in tokens)
    for before, after in itertools.pairwise(tokens):
        assert before.end < after.start and line[before.end : after.start].isspace()


@SETTINGS
@given(
    values=st.lists(st.text(st.characters(exclude_characters=QUOTE_CHARS)), max_size=6),
    data=st.data(),
)
def test_quoted_runs_keep_their_inner_text(values: list[str], data: st.DataObject) -> None:
    rendered = [quote(data.draw, v) for v in values]
    line = join(data.draw, rendered)
    tokens = tokenize(line)
    assert [(t.value, t.quoted, line[t.start : t.end]) for t in tokens] == list(
        zip(values, [True] * len(values), rendered, strict=True)
    )


@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("/reflect I'm stuck, don't know why", "I'm stuck, don't know why"),
        ("/reflect I’m fine ‘really’", "I’m fine ‘really’"),
        ("/reflect 'single quotes' are words", "'single quotes' are words"),
        ("/reflect it's 'fine --private", None),  # option still found after an apostrophe
    ],
)
def test_apostrophe_examples(line: str, text: str | None) -> None:
    _, values = run(line)
    if text is None:
        assert values["private"] is True and values["text"] == "it's 'fine"
    else:
        assert values["text"] == text


# -- tricky cases, by example -----------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [c for c in catalogue.COMMANDS if c.example], ids=lambda c: c.name
)
def test_catalogue_examples_parse_and_validate(command: Command) -> None:
    assert command.example is not None
    assert run(command.example)[0] is command


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ('/group join "Linear Algebra"', "Linear Algebra"),
        ("/group join “Linear Algebra”", "Linear Algebra"),
        ("/group join „Linear Algebra“", "Linear Algebra"),
        ("/group join «Linear Algebra»", "Linear Algebra"),
        ('/group join "Linear Algebra”', "Linear Algebra"),  # any closer closes
        ("/group join Linear    Algebra", "Linear    Algebra"),  # rest: kept as typed
        ("/group join Linear\nAlgebra", "Linear\nAlgebra"),
        ('/group join "  Linear Algebra  "', "Linear Algebra"),  # stripped by validate
        ('/group join "Ana\'s group"', "Ana's group"),
        ('/group join "Linear" Algebra', '"Linear" Algebra'),  # rest keeps inner quotes
        ('/group join Linear  "Algebra"', 'Linear  "Algebra"'),
    ],
)
def test_quoting_forms(line: str, name: str) -> None:
    assert run(line)[1] == {"name": name}


def test_group_create_splits_name_and_topic() -> None:
    _, values = run('/group create "Linear Algebra" eigenvalues and proofs --capacity 6')
    assert values == {
        "name": "Linear Algebra",
        "topic": "eigenvalues and proofs",
        "capacity": 6,
        "private": False,
    }
    _, values = run("/group create --private Linear eigen values")
    assert values["name"] == "Linear" and values["topic"] == "eigen values"


def test_rest_text_whitespace_handling() -> None:
    assert run("/reflect a\n  b\tc")[1]["text"] == "a\n  b\tc"  # unquoted: kept as typed
    assert run('/reflect "a\n  b"')[1]["text"] == "a\n  b"  # quoted: kept
    assert run("/reflect  \n a\r\nb \n ")[1]["text"] == "a\nb"  # ends stripped; CR removed
    assert run("/reflect a --anonymous b")[1] == {
        "text": "a b",
        "private": False,
        "anonymous": True,
    }
    # Each run between options is kept as typed; the runs are joined with one space.
    assert run("/reflect a\n\nb --private c  d")[1]["text"] == "a\n\nb c  d"
    assert run("/reflect a\n --private \n b")[1]["text"] == "a b"
    assert run('/reflect he said "no  way"\n ok')[1]["text"] == 'he said "no  way"\n ok'
    assert run('/tutor request recursion "base case"\nstill   fails')[1]["details"] == (
        '"base case"\nstill   fails'
    )


def test_bare_command_vs_subcommand_word() -> None:
    assert run("/reflect list")[0].path == ("reflect", "list")
    assert run("/reflect LIST")[0].path == ("reflect", "list")
    assert run('/reflect "list"')[1]["text"] == "list"
    assert run('/reflect "list of things"')[1]["text"] == "list of things"
    assert run("/reflect --private list")[1]["text"] == "list"
    # More words after the subcommand word, and the bare form takes text: a reflection.
    assert run("/reflect list of things") == (
        catalogue.find(("reflect",)),
        {"text": "list of things", "private": False, "anonymous": False},
    )
    command, values = run("/reflect List\nof  things --private")
    assert command.path == ("reflect",)
    assert values == {"text": "List\nof  things", "private": True, "anonymous": False}
    with pytest.raises(UserError, match="/reflect list has no option --private"):
        run("/reflect list --private")  # only options after it: still the subcommand


def test_a_quoted_subcommand_counts_when_the_command_has_no_bare_form() -> None:
    assert run('/group "join" Algebra') == (catalogue.find(("group", "join")), {"name": "Algebra"})
    assert run('/GROUP \u201cJOIN\u201d "Linear Algebra"')[1] == {"name": "Linear Algebra"}
    assert run('/tutor "queue"')[0].path == ("tutor", "queue")


def test_option_value_forms() -> None:
    assert run("/checkin --mood=4")[1]["mood"] == 4
    assert run('/checkin --progress "--not an option"')[1]["progress"] == "--not an option"
    assert run("/prompts add write a haiku --pack=a=b")[1]["pack"] == "a=b"
    assert run("/cohort setup --remove_organiser @ana")[1]["remove_organiser"] == MemberRef(
        None, "ana"
    )
    assert run('/checkin --group ""')[1]["group"] is None  # empty text is "not given"
    assert run("/tutor claim #3")[1] == {"id": 3}  # as the queue shows it
    assert run('/tutor done "#12" it worked')[1] == {"id": 12, "notes": "it worked"}
    assert run("/checkin --mood=#4")[1]["mood"] == 4
    assert run("/tutor claim +7")[1] == {"id": 7}


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("", "Type a command"),
        ("   \n\t", "Type a command"),
        ("/", "There is no command"),
        ("/grup list", "Did you mean group?"),
        ("/group", "needs a subcommand"),
        ("/group jion x", "Did you mean join?"),
        ("/cohort", "needs a subcommand"),
        ('/group join "Linear Algebra', "quote is not closed"),
        ("/group join “Linear Algebra", "quote is not closed"),
        ("/checkin --progress", "--progress needs a value"),
        ("/checkin --progress --mood 3", "--progress needs a value"),
        ("/checkin --mood 3 --mood 4", "given twice"),
        ("/checkin --MOOD 3 --mood 4", "given twice"),
        ("/reflect hi --private=yes", "is a switch"),
        ("/checkin --nope 1", "has no option --nope"),
        ("/group join --name x", "has no option --name"),  # positionals are not options
        ("/checkin -- x", "did not expect '-- x'"),
        ("/me export now", "did not expect 'now'"),
        ("/me exprot", "/me has no subcommand 'exprot'. Did you mean export?"),
        ("/me timezon Europe/Berlin", "Did you mean timezone?"),
        ("/ME EXPROT", "Did you mean export?"),
        ("/cohort grop list", "Did you mean group?"),
        ("/cohort tutr queue", "Did you mean tutor?"),
        ("/cohort stast", "Did you mean stats?"),
        ("/cohort /me exprot", "/me has no subcommand 'exprot'. Did you mean export?"),
        ("/checkin --mood=", "--mood needs a value"),
        ("/prompts add write a haiku --pack=", "--pack needs a value"),
        ("/reflect hi --private=", "takes no value"),
        ("/tutor claim 1_0", "<id> must be a whole number, not '1_0'"),
        ("/tutor claim \uff13", "must be a whole number"),
        ("/tutor claim \u0663", "must be a whole number"),
        ("/tutor claim #x", "<id> must be a whole number, not '#x'"),
        ("/group role g ana boss", "must be one of"),
        ("/group role g @everyone member", "must name one member"),
        ("/group role g " + "a" * 61 + " member", "must name one member"),
        ("/prompts add tiny", "at least 5 characters"),
        ("/me timezone ''''", None),  # apostrophes are text: accepted
    ],
)
def test_rejections_are_user_errors_with_a_message(line: str, fragment: str | None) -> None:
    if fragment is None:
        run(line)
        return
    with pytest.raises(UserError) as caught:
        run(line)
    assert fragment in caught.value.message


def test_overlong_line_is_rejected_with_separators() -> None:
    with pytest.raises(UserError) as caught:
        parse("/reflect " + "a" * 12_000)
    assert "12,009 characters" in caught.value.message
    assert "at most 12,000" in caught.value.message


@pytest.mark.parametrize(
    ("line", "path"),
    [
        ("/cohort me export", ("me", "export")),
        ("/cohort me", ("me",)),
        ("/cohort group join X", ("group", "join")),
        ("/COHORT GROUP JOIN X", ("group", "join")),
        ("cohort reflect list", ("reflect", "list")),
        ("/cohort cohort setup", ("cohort", "setup")),
        ("/cohort setup", ("cohort", "setup")),
        ("/cohort help me", ("cohort", "help")),  # a cohort subcommand wins over the prefix
        ("/cohort /me export", ("me", "export")),
        ("/cohort /group join X", ("group", "join")),
        ("/Me Export", ("me", "export")),
    ],
)
def test_cohort_prefix_and_case_examples(line: str, path: tuple[str, ...]) -> None:
    assert run(line)[0].path == path


def test_cohort_help_takes_the_rest() -> None:
    assert run("/cohort help tutor request")[1] == {"command": "tutor request"}
    assert run("/cohort help me")[1] == {"command": "me"}


def test_members_and_mentions() -> None:
    def member(token: str) -> MemberRef:
        return run(f"/group role g {token} member")[1]["member"]

    assert member("ana") == MemberRef(None, "ana")
    assert member("@ana") == MemberRef(None, "ana")
    assert member("<@U123|ana>") == MemberRef("U123", "ana")
    assert member("<@!81384788765712384>") == MemberRef("81384788765712384", "81384788765712384")
    assert run("/group role g ana FACILITATOR")[1]["role"] == "facilitator"
