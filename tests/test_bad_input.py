"""A corpus of bad input: every case is refused with a message that names the problem or the fix,
sends no posts, and leaves every table exactly as it was.

Each case is (setup steps, bad line, who runs it, expected fragment). Setup steps must succeed.
Cases marked ``xfail(strict=True)`` are real bugs or unhelpful messages: they state the reply a
user deserves, and start failing (XPASS) the moment the code is fixed, so the mark can go.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.types import Visibility
from tests.harness import Harness

OTHER = "console:other"


@dataclass(frozen=True)
class Step:
    """One setup line that must succeed."""

    line: str
    user: str = "ana"
    admin: bool = False
    community: str | None = None

    def run(self, harness: Harness) -> None:
        harness.ok(self.line, as_user=self.user, admin=self.admin, community=self.community)


def by(user: str, line: str, *, admin: bool = False, community: str | None = None) -> Step:
    return Step(line, user, admin, community)


def root(line: str) -> Step:
    """A line run by ``root``, a platform admin (so an organiser)."""
    return Step(line, "root", True)


def case(
    id: str,
    line: str,
    fragment: str,
    *setup: str | Step,
    user: str = "ana",
    admin: bool = False,
    bug: str | None = None,
) -> object:
    """A pytest param; plain-string setup lines run as ana. ``bug`` marks a strict xfail."""
    steps = tuple(s if isinstance(s, Step) else Step(s) for s in setup)
    marks = (pytest.mark.xfail(reason=bug, strict=True),) if bug else ()
    return pytest.param(steps, line, user, admin, fragment, id=id, marks=marks)


# -- shared setups ------------------------------------------------------------------------------
# ana creates Algebra (so she is its facilitator); bo and cy exist once they have run /me.
GROUP = ("/group create Algebra proofs",)
BO = (by("bo", "/me"),)
CY = (by("cy", "/me"),)
GROUP_BO = (*GROUP, by("bo", "/group join Algebra"))
ARCHIVED = (*GROUP, "/group archive Algebra")
FULL = ("/group create Algebra proofs --capacity 2", by("bo", "/group join Algebra"))
# bo asks for help (#1); ana claims it and resolves it.
ASKED = (by("bo", "/tutor request recursion my base case never triggers"),)
CLAIMED = (*ASKED, "/tutor claim 1")
DONE = (*CLAIMED, "/tutor done 1 it was the base case")
CANCELLED = (*ASKED, by("bo", "/tutor cancel 1"))
THANKED = (*DONE, by("bo", "/tutor thank 1 thanks!"))
ELSEWHERE = (by("bo", "/tutor request recursion help please", community=OTHER),)
# ana asks (#1); bob claims and resolves it, then deletes his Cohort data.
HELPER_FORGOT = (
    "/tutor request recursion my base case never triggers",
    by("bob", "/tutor claim 1"),
    by("bob", "/tutor done 1 it was the base case"),
    by("bob", "/me forget --confirm"),
)
PLANNED = ("/me away 2026-09-10 2026-09-12",)  # starts in three days: planned, not current

LONG = "x" * 10_000


def text(n: int, ch: str = "x") -> str:
    return ch * n


CASES = [
    # -- commands and subcommands ---------------------------------------------------------------
    case("line-empty", "", "type a command"),
    case("line-blank", "   \t ", "type a command"),
    case("command-typo-grop", "/grop list", "did you mean group"),
    case("command-typo-chekin", "/chekin --mood 3", "did you mean checkin"),
    case("command-typo-tutr", "/tutr queue", "did you mean tutor"),
    case("command-unknown", "/frobnicate now", "there is no command /frobnicate"),
    case("command-slash-only", "/", "/cohort help lists them all"),
    case("subcommand-typo-group-jion", "/group jion Algebra", "did you mean join", *GROUP),
    case("subcommand-typo-tutor-qeue", "/tutor qeue", "did you mean queue"),
    case("subcommand-typo-prompts-pakcs", "/prompts pakcs", "did you mean packs"),
    case("subcommand-typo-cohort-stast", "/cohort stast", "did you mean stats", admin=True),
    case("subcommand-unknown-group-delete", "/group delete Algebra", "choose one of", *GROUP),
    case("subcommand-missing-tutor", "/tutor", "/tutor needs a subcommand"),
    case("subcommand-missing-group-options-only", "/group --capacity 3", "needs a subcommand"),
    case("subcommand-missing-cohort", "/cohort", "/cohort needs a subcommand"),
    case("subcommand-typo-me-exprot", "/me exprot", "/me has no subcommand 'exprot'"),
    case("subcommand-typo-me-exprot-hint", "/me exprot", "did you mean export?"),
    case("subcommand-typo-me-timezon", "/me timezon Europe/Berlin", "did you mean timezone?"),
    case("subcommand-unknown-me-choices", "/me now", "choose one of: away, back, export, forget"),
    case("subcommand-typo-via-cohort-prefix", "/cohort grop list", "did you mean group?"),
    case("subcommand-typo-via-cohort-prefix-tutr", "/cohort tutr queue", "did you mean tutor?"),
    case(
        "subcommand-unknown-via-cohort-lists-every-command",
        "/cohort frob",
        "choose one of: help, setup, stats, checkin, group, me, prompts, reflect, tutor.",
    ),
    case("subcommand-typo-via-cohort-slash-me", "/cohort /me exprot", "did you mean export?"),
    # A quoted subcommand is the subcommand when the top has no bare form: this reaches join.
    case("subcommand-quoted-reaches-join", '/group "join" Geometry', "no group called", *GROUP),
    # -- options --------------------------------------------------------------------------------
    case("option-unknown-checkin-mod", "/checkin --mod 3", "its options: --mood"),
    case("option-unknown-on-optionless-command", "/tutor queue --all", "takes no options"),
    case("option-unknown-group-list", "/group list --all", "its options: --page"),
    case("range-group-list-page", "/group list --page 0", "--page must be from 1 to 1000"),
    case(
        "group-list-page-past-end",
        "/group list --page 2",
        "There is only 1 page of groups",
        "/group create Algebra",
    ),
    case("option-positional-given-as-option", "/group join --name Algebra", "no option --name"),
    case("option-unknown-reflect-public", "/reflect hello --public", "no option --public"),
    case("option-twice-mood", "/checkin --mood 3 --mood 4", "--mood was given twice"),
    case("option-twice-inline-and-uppercase", "/checkin --mood=3 --MOOD 4", "given twice"),
    case("option-twice-flag", "/reflect hello --private --private", "--private was given twice"),
    case(
        "option-twice-capacity",
        "/group create Algebra --capacity 3 --capacity 4",
        "--capacity was given twice",
    ),
    case("option-value-missing-at-end", "/checkin --progress", "--progress needs a value"),
    case(
        "option-value-missing-before-option",
        "/checkin --mood --progress done",
        "--mood needs a value, e.g. --mood 1-5",
    ),
    case(
        "option-value-missing-capacity",
        "/group create Algebra --capacity",
        "--capacity needs a value",
    ),
    case("option-value-missing-days", "/cohort stats --days", "--days needs a value", admin=True),
    case(
        "option-value-missing-reflections",
        "/cohort setup --reflections",
        "e.g. --reflections private",
        admin=True,
    ),
    case(
        "option-value-missing-organiser",
        "/cohort setup --organiser",
        "--organiser needs a value",
        admin=True,
    ),
    case("option-value-empty-after-equals", "/checkin --mood=", "--mood needs a value"),
    case(
        "option-value-empty-after-equals-capacity",
        "/group create Algebra --capacity=",
        "--capacity needs a value, e.g. --capacity N",
    ),
    case("flag-with-empty-value-after-equals", "/reflect hello --private=", "takes no value"),
    case("flag-with-value-private", "/group create Algebra --private=yes", "takes no value"),
    case("flag-with-value-anonymous", "/reflect hello --anonymous=true", "takes no value"),
    case("flag-with-value-confirm", "/me forget --confirm=yes", "takes no value"),
    # -- em and en dashes (phones turn -- into a dash) before a known option ---------------------
    case("dash-flag-leaves-no-text", "/reflect \u2014anonymous", "/reflect needs <text>"),
    case("en-dash-flag-leaves-no-text", "/reflect \u2013private", "/reflect needs <text>"),
    case(
        "dash-flag-twice",
        "/reflect hello \u2014anonymous \u2013anonymous",
        "--anonymous was given twice",
    ),
    case("dash-and-double-dash-twice", "/reflect hi --private \u2014PRIVATE", "given twice"),
    case(
        "dash-private-and-anonymous",
        "/reflect it clicked \u2014private \u2013anonymous",
        "choose one: --private",
    ),
    case("dash-flag-with-value", "/reflect hello \u2013private=yes", "takes no value"),
    case(
        "dash-option-range",
        "/group create Algebra \u2014capacity 1",
        "--capacity must be from 2 to 500; got 1",
    ),
    case(
        "dash-option-inline-range",
        "/checkin --progress done \u2014mood=9",
        "--mood must be from 1 to 5; got 9",
    ),
    case(
        "dash-option-value-missing", "/checkin --progress done \u2013mood", "--mood needs a value"
    ),
    case(
        "dash-option-value-is-an-option",
        "/checkin --progress \u2014mood 3",
        "--progress needs a value",
    ),
    case("dash-option-days-range", "/cohort stats \u2014days 0", "from 1 to 365", admin=True),
    case(
        "dash-option-first-under-bare-command",
        "/checkin \u2014mood 9",
        "--mood must be from 1 to 5; got 9",
    ),
    # -- any hyphen or dash (one or two) before an option's exact name is that option -----------
    case("hyphen-flag-leaves-no-text", "/reflect -anonymous", "/reflect needs <text>"),
    case("u2010-double-flag-leaves-no-text", "/reflect \u2010\u2010private", "needs <text>"),
    case("minus-sign-flag-twice", "/reflect hi \u2212anonymous --anonymous", "given twice"),
    case(
        "hyphen-private-and-fullwidth-anonymous",
        "/reflect it clicked -private \uff0danonymous",
        "choose one: --private",
    ),
    case("hyphen-option-range", "/checkin -mood 9", "--mood must be from 1 to 5; got 9"),
    case(
        "small-hyphen-capacity-range",
        "/group create Algebra \ufe63capacity 1",
        "--capacity must be from 2 to 500; got 1",
    ),
    case(
        "nb-hyphen-option-value-missing",
        "/checkin --progress done \u2011mood",
        "--mood needs a value",
    ),
    case("hyphen-flag-with-value", "/me forget -confirm=yes", "--confirm is a switch"),
    case("figure-dash-days-range", "/cohort stats \u2012days 0", "from 1 to 365", admin=True),
    case(
        "horizontal-bar-unknown-organiser",
        "/cohort setup \u2015organiser zed",
        "don't know a member called zed",
        admin=True,
    ),
    case("hyphen-upcoming-nothing-planned", "/me back -upcoming", "nothing to end"),
    case("triple-hyphen-is-unknown", "/reflect hi ---private", "has no option ---private"),
    # -- ...and before a prefix or near miss of one, refused with the option spelled out -----------
    case(
        "near-anon-em-dash",
        "/reflect secret \u2014anon",
        "Did you mean --anonymous? Options start with two hyphens, e.g. --anonymous.",
    ),
    case("near-anonymou-hyphen", "/reflect x -anonymou", "did you mean --anonymous?"),
    case("near-checkin-m", "/checkin -m 3", "did you mean --mood? options start with two hyphens"),
    case("near-where-a-value-is-due", "/checkin --progress -mo", "did you mean --mood?"),
    case("near-u2010-double-privte", "/reflect hi \u2010\u2010privte", "did you mean --private?"),
    case("near-inline-value", "/reflect x -privat=yes", "did you mean --private?"),
    case("near-capacity-prefix", "/group create Algebra -cap 6", "did you mean --capacity?"),
    case(
        "near-group-typo",
        "/checkin --progress done -grop Algebra",
        "did you mean --group?",
        *GROUP,
    ),
    case(
        "near-timezone-typo",
        "/cohort setup -timezon Europe/Berlin",
        "did you mean --timezone?",
        admin=True,
    ),
    case(
        "near-pack-fullwidth-hyphen",
        "/prompts add What surprised you? \uff0dpak retro",
        "did you mean --pack?",
        admin=True,
    ),
    case("near-upcoming", "/me back -upcomin", "did you mean --upcoming?", *PLANNED),
    case("extra-positional-claim", "/tutor claim 1 2", "did not expect '2'", *ASKED),
    case(
        "extra-words-checkin",
        "/checkin feeling good",
        "did not expect 'feeling good'",
    ),
    case("extra-words-checkin-after-option", "/checkin --mood 3 feeling", "did not expect"),
    case(
        "extra-positional-role",
        "/group role Algebra bo facilitator now",
        "did not expect 'now'",
        *GROUP_BO,
    ),
    case(
        "unquoted-zone-with-space",
        "/me timezone America/New York",
        "put names with spaces in quotes",
    ),
    # -- missing required arguments -------------------------------------------------------------
    case("required-group-create-name", "/group create", "/group create needs <name>"),
    case("required-group-create-empty-quotes", '/group create ""', "needs <name>"),
    case("required-group-create-blank-quotes", '/group create "   "', "needs <name>"),
    case("required-group-create-invisible-name", '/group create "\u200b"', "needs <name>"),
    case(
        "required-group-create-invisible-mix",
        '/group create "\u200c \u2060\ufeff\u00ad\u200f"',
        "/group create needs <name>",
    ),
    case("required-group-join-invisible-unquoted", "/group join \u200d\u2063", "needs <name>"),
    case("required-reflect-invisible-words", "/reflect \u200b \u2060\n\ufeff", "needs <text>"),
    case("required-me-timezone-invisible", "/me timezone \u00ad", "needs <zone>"),
    case("required-tutor-claim-invisible", "/tutor claim \u2061", "/tutor claim needs <id>"),
    case(
        "required-group-role-invisible-member",
        '/group role Algebra "\u200e" member',
        "needs <member>",
        *GROUP,
    ),
    case("checkin-invisible-progress", '/checkin --progress "\u200b\u2064"', "at least one thing"),
    # -- control characters are removed from text before it is checked --------------------------
    case("control-chars-checkin-progress", '/checkin --progress "\x01\x7f"', "at least one thing"),
    case(
        "control-chars-prompt-too-short", "/prompts add \x01wh\x02y\x03", "at least 5", admin=True
    ),
    case("control-chars-same-group-name", "/group create Alg\x00ebra", "already exists", *GROUP),
    case("control-chars-zone-typo", "/me timezone Europe/\x1bBerln", "'europe/berln' is not a"),
    case(
        "control-chars-limit-counts-what-is-left",
        f"/reflect {text(1501)}{text(20, chr(1))}",
        "is 1,501 characters; the limit is 1,500",
    ),
    case("control-only-reflect", "/reflect \x01\x02", "/reflect needs <text>"),
    case(
        "control-only-group-name",
        '/group create "\x7f"',
        "/group create needs <name>",
    ),
    case("control-only-zone", "/me timezone \x1b", "/me timezone needs <zone>"),
    case("required-group-join-name", "/group join", "/group join needs <name>"),
    case("required-group-role-role", "/group role Algebra bo", "needs <role>", *GROUP_BO),
    case("required-group-role-member", "/group role Algebra", "needs <member>", *GROUP),
    case("required-tutor-request-details", "/tutor request recursion", "needs <details>"),
    case("required-tutor-request-topic", "/tutor request", "needs <topic>"),
    case("required-tutor-request-empty-topic", '/tutor request "" help me', "needs <topic>"),
    case(
        "required-tutor-request-invisible-topic", "/tutor request \u200b help me", "needs <topic>"
    ),
    case(
        "required-tutor-request-invisible-details",
        '/tutor request recursion "\ufeff\u200b"',
        "needs <details>",
    ),
    case("required-tutor-claim-id", "/tutor claim", "/tutor claim needs <id>"),
    case("required-tutor-offer-topics", "/tutor offer", "needs <topics>"),
    case("required-tutor-offer-only-commas", "/tutor offer , ,", "name at least one topic"),
    case("required-tutor-stop-empty", '/tutor stop ""', "needs <topic>"),
    case("required-reflect-text", "/reflect", "/reflect needs <text>"),
    case("required-reflect-flag-only", "/reflect --anonymous", "needs <text>"),
    case("required-me-away-start", "/me away", "needs <start>"),
    case("required-me-timezone-zone", "/me timezone", "needs <zone>"),
    case("required-prompts-add-text", "/prompts add", "needs <text>", admin=True),
    case("prompts-add-too-short", "/prompts add why", "at least 5 characters", admin=True),
    # -- wrong types ----------------------------------------------------------------------------
    case("type-mood-ten", "/checkin --mood ten", "whole number, not 'ten'"),
    case("type-mood-decimal", "/checkin --mood 3.5", "--mood must be a whole number"),
    case(
        "type-capacity-decimal",
        "/group create Algebra --capacity 1.5",
        "whole number, not '1.5'",
    ),
    case("type-capacity-hex", "/group create Algebra --capacity 0x10", "whole number"),
    case("type-claim-abc", "/tutor claim abc", "<id> must be a whole number, not 'abc'"),
    case(
        "type-claim-hash-word", "/tutor claim #x", "<id> must be a whole number, not '#x'", *ASKED
    ),
    case("type-claim-hash-only", "/tutor claim #", "whole number, not '#'", *ASKED),
    case("type-claim-double-hash", "/tutor claim ##1", "whole number, not '##1'", *ASKED),
    case("type-claim-underscore", "/tutor claim 1_0", "whole number, not '1_0'"),
    case("type-claim-arabic-indic", "/tutor claim \u0663", "<id> must be a whole number", *ASKED),
    case("type-mood-fullwidth", "/checkin --mood \uff13", "--mood must be a whole number"),
    case("type-capacity-underscore", "/group create Algebra --capacity 1_0", "whole number"),
    case("type-days-superscript", "/cohort stats --days \u00b2", "whole number", admin=True),
    case("type-done-word", "/tutor done first", "whole number", *CLAIMED),
    case("type-days-decimal", "/cohort stats --days 7.0", "whole number", admin=True),
    # -- out of range ---------------------------------------------------------------------------
    case("range-mood-0", "/checkin --mood 0", "must be from 1 to 5; got 0"),
    case("range-mood-6", "/checkin --mood 6", "must be from 1 to 5; got 6"),
    case("range-mood-negative", "/checkin --mood -1", "must be from 1 to 5"),
    case("range-capacity-0", "/group create Algebra --capacity 0", "must be from 2 to 500"),
    case("range-capacity-1", "/group create Algebra --capacity 1", "must be from 2 to 500"),
    case("range-capacity-501", "/group create Algebra --capacity 501", "must be from 2 to 500"),
    case(
        "range-capacity-huge",
        "/group create Algebra --capacity 99999999999999999999",
        "must be from 2 to 500",
    ),
    case("range-days-0", "/cohort stats --days 0", "must be from 1 to 365", admin=True),
    case("range-days-366", "/cohort stats --days 366", "must be from 1 to 365", admin=True),
    case("range-claim-0", "/tutor claim 0", "must be at least 1; got 0"),
    case("range-claim-negative", "/tutor claim -1", "must be at least 1", *ASKED),
    case("range-cancel-negative", "/tutor cancel -5", "must be at least 1", *ASKED),
    case("range-thank-negative", "/tutor thank -1 thanks", "must be at least 1", *DONE),
    case("range-claim-hash-zero", "/tutor claim #0", "must be at least 1; got 0", *ASKED),
    case("range-claim-hash-negative", "/tutor claim #-1", "must be at least 1; got -1", *ASKED),
    # Ids no row can have (past 2**31 - 1, PostgreSQL's INTEGER) are "not found", not a crash.
    case(
        "range-claim-huge",
        "/tutor claim 99999999999999999999",
        "no help request #99999999999999999999",
        *ASKED,
    ),
    case(
        "range-claim-largest-id",
        "/tutor claim 2147483647",
        "there is no help request #2147483647 in this community",
        *ASKED,
    ),
    case(
        "range-claim-just-past-int32",
        "/tutor claim 2147483648",
        "there is no help request #2147483648 in this community",
        *ASKED,
    ),
    case(
        "range-done-just-past-int64",
        "/tutor done 9223372036854775808",
        "no help request #9223372036854775808",
        *CLAIMED,
    ),
    case(
        "range-cancel-just-past-int32",
        "/tutor cancel #2147483648",
        "no help request #2147483648",
        *ASKED,
        user="bo",
    ),
    case(
        "range-thank-huge",
        "/tutor thank 9223372036854775808 thanks",
        "no help request #9223372036854775808",
        *DONE,
        user="bo",
    ),
    # -- quotes ---------------------------------------------------------------------------------
    case("quote-unclosed", '/group join "Linear Algebra', "a quote is not closed", *GROUP),
    case("quote-unclosed-typographic", "/group join \u201cLinear Algebra", "not closed", *GROUP),
    case("quote-unclosed-guillemet", "/reflect \u00abbonjour tout le monde", "not closed"),
    case("quote-unclosed-option", '/checkin --progress "read chapter 2', "not closed"),
    case("quote-unclosed-details", '/tutor request recursion "my base case', "not closed"),
    # -- text over the limits -------------------------------------------------------------------
    case("limit-reflect-10000", f"/reflect {LONG}", "the limit is 1,500"),
    case("limit-reflect-1501", f"/reflect {text(1501)}", "is 1,501 characters; the limit is 1,500"),
    case(
        "limit-tutor-request-details-10000",
        f"/tutor request recursion {LONG}",
        "the limit is 1,500",
    ),
    case("limit-tutor-request-topic-101", f"/tutor request {text(101)} help", "limit is 100"),
    case("limit-group-create-name-61", f'/group create "{text(61)}"', "the limit is 60"),
    case("limit-group-join-name-61", f"/group join {text(61)}", "the limit is 60"),
    case("limit-group-create-topic-101", f"/group create Algebra {text(101)}", "limit is 100"),
    case("limit-checkin-progress-501", f'/checkin --progress "{text(501)}"', "limit is 500"),
    case("limit-checkin-blockers-501", f"/checkin --blockers {text(501)}", "limit is 500"),
    case("limit-checkin-group-61", f"/checkin --mood 3 --group {text(61)}", "limit is 60"),
    case(
        "limit-tutor-offer-topic-101",
        f"/tutor offer recursion, {text(101)}",
        "a topic is at most 100 characters",
    ),
    case("limit-tutor-offer-501", f"/tutor offer {text(501)}", "limit is 500"),
    case("limit-tutor-done-notes-501", f"/tutor done 1 {text(501)}", "limit is 500", *CLAIMED),
    case(
        "limit-tutor-thank-501",
        f"/tutor thank 1 {text(501)}",
        "limit is 500",
        *DONE,
        user="bo",
    ),
    case("limit-prompts-add-501", f"/prompts add {text(501)}", "limit is 500", admin=True),
    case(
        "limit-prompts-pack-41",
        f"/prompts add What surprised you? --pack {text(41, 'a')}",
        "limit is 40",
        admin=True,
    ),
    case("limit-cohort-help-41", f"/cohort help {text(41)}", "limit is 40"),
    case("limit-me-timezone-10000", f"/me timezone {LONG}", "limit is 64"),
    case(
        "limit-member-name-61",
        f"/group role Algebra {text(61)} member",
        "must name one member",
        *GROUP,
    ),
    case("limit-line-12001", f"/reflect {text(12_001 - 9)}", "commands are at most 12,000"),
    case("limit-line-20000", f"/checkin --progress {text(20_000)}", "at most 12,000"),
    # -- groups ---------------------------------------------------------------------------------
    case("group-join-unknown", "/group join Geometry", "no group called Geometry", *GROUP),
    case("group-info-unknown", "/group info Geometry", "/group list shows the open groups"),
    case("group-leave-unknown", "/group leave Geometry", "no group called Geometry"),
    case("group-archive-unknown", "/group archive Geometry", "no group called Geometry"),
    case("group-role-unknown-group", "/group role Geometry bo member", "no group called", *BO),
    case("checkin-unknown-group", "/checkin --mood 3 --group Geometry", "no group called"),
    case(
        "group-join-archived", "/group join Algebra", "algebra was archived", *ARCHIVED, user="bo"
    ),
    case("group-info-archived", "/group info Algebra", "was archived", *ARCHIVED),
    case("group-leave-archived", "/group leave Algebra", "was archived", *ARCHIVED),
    case("group-archive-twice", "/group archive Algebra", "was archived", *ARCHIVED),
    case("checkin-archived-group", "/checkin --mood 3 --group Algebra", "was archived", *ARCHIVED),
    case("group-create-existing", "/group create Algebra", "already exists", *GROUP, user="bo"),
    case("group-create-existing-other-case", "/group create  ALGEBRA ", "already exists", *GROUP),
    case("group-create-archived-name", "/group create Algebra", "pick another name", *ARCHIVED),
    case(
        "group-create-name-straight-quote",
        '/group create Alg"ebra',
        "A group name can't contain quote marks: people type the name in quotes to join it.",
    ),
    case("group-create-name-curly-quote", "/group create Ana\u201ds", "can't contain quote marks"),
    case("group-create-name-low-quote", "/group create a\u201eb proofs", "contain quote marks"),
    case("group-create-name-guillemets", "/group create Alg\u00abebra\u00bb", "quote marks"),
    case(
        "group-create-quoted-name-with-guillemet",
        '/group create "Linear \u00abAlgebra"',
        "can't contain quote marks",
    ),
    case(
        "group-create-quote-in-name-beside-existing",
        "/group create Algebra\u201c",
        "can't contain quote marks",
        *GROUP,
    ),
    case("group-join-own", "/group join Algebra", "you are already in algebra", *GROUP),
    case("group-join-twice", "/group join algebra", "already in Algebra", *GROUP_BO, user="bo"),
    case("group-join-full", "/group join Algebra", "algebra is full (2/2)", *FULL, user="cy"),
    case("group-leave-not-in", "/group leave Algebra", "you are not in algebra", *GROUP, user="bo"),
    case(
        "group-leave-twice",
        "/group leave Algebra",
        "nothing to leave",
        *GROUP_BO,
        by("bo", "/group leave Algebra"),
        user="bo",
    ),
    case(
        "group-archive-others-stranger",
        "/group archive Algebra",
        "or an organiser, can archive it",
        *GROUP,
        user="bo",
    ),
    case(
        "group-archive-others-member",
        "/group archive Algebra",
        "only the person who created algebra",
        *GROUP_BO,
        user="bo",
    ),
    case(
        "group-archive-by-removed-organiser",
        "/group archive Algebra",
        "or an organiser, can archive it",
        *GROUP_BO,
        root("/cohort setup --organiser bo"),
        root("/cohort setup --remove-organiser bo"),
        user="bo",
    ),
    case(
        "group-role-by-member",
        "/group role Algebra ana timekeeper",
        "only a facilitator of algebra or an organiser",
        *GROUP_BO,
        user="bo",
    ),
    case(
        "group-role-by-stranger",
        "/group role Algebra bo timekeeper",
        "only a facilitator",
        *GROUP_BO,
        user="cy",
    ),
    case(
        "group-role-for-non-member",
        "/group role Algebra bo timekeeper",
        'they can join with /group join "Algebra"',
        *GROUP,
        *BO,
    ),
    case(
        "group-role-for-non-member-by-admin",
        "/group role Algebra bo note-taker",
        "bo is not in algebra",
        *GROUP,
        *BO,
        user="root",
        admin=True,
    ),
    case(
        "group-role-invalid-choice",
        "/group role Algebra bo boss",
        "must be one of facilitator, note-taker, timekeeper, member",
        *GROUP_BO,
    ),
    case("group-role-choice-typo", "/group role Algebra bo facilitater", "one of", *GROUP_BO),
    case(
        "group-role-unknown-member",
        "/group role Algebra zed member",
        "i don't know a member called zed",
        *GROUP,
    ),
    case(
        "group-role-unknown-mention",
        "/group role Algebra <@U999> member",
        "need to use cohort once",
        *GROUP,
    ),
    case("group-role-everyone", "/group role Algebra @everyone member", "name one member", *GROUP),
    case("group-role-here", "/group role Algebra @here facilitator", "name one member", *GROUP),
    case("group-role-bare-at", "/group role Algebra @ member", "must name one member", *GROUP),
    case(
        "group-role-forgotten-member",
        "/group role Algebra bo member",
        "don't know a member called bo",
        *GROUP_BO,
        by("bo", "/me forget --confirm"),
    ),
    # -- check-ins ------------------------------------------------------------------------------
    case("checkin-empty", "/checkin", "tell me at least one thing"),
    case("checkin-empty-values", '/checkin --progress "" --blockers " "', "at least one thing"),
    case("checkin-group-only", "/checkin --group Algebra", "at least one thing", *GROUP),
    case(
        "checkin-group-not-member",
        "/checkin --mood 3 --group Algebra",
        'join it first with /group join "Algebra"',
        *GROUP,
        user="bo",
    ),
    case(
        "checkin-group-after-leaving",
        "/checkin --mood 3 --group Algebra",
        "you are not in algebra",
        *GROUP_BO,
        by("bo", "/group leave Algebra"),
        user="bo",
    ),
    # -- tutoring: request ids ------------------------------------------------------------------
    case("tutor-claim-unknown", "/tutor claim 42", "there is no help request #42"),
    case("tutor-claim-unknown-hash", "/tutor claim #42", "there is no help request #42", *ASKED),
    case("tutor-claim-own-hash", "/tutor claim #1", "is your own request", *ASKED, user="bo"),
    case("tutor-done-unknown", "/tutor done 42", "no help request #42", *ASKED),
    case("tutor-cancel-unknown", "/tutor cancel 42", "no help request #42", *ASKED, user="bo"),
    case("tutor-thank-unknown", "/tutor thank 42", "no help request #42", *DONE, user="bo"),
    case(
        "tutor-claim-other-community",
        "/tutor claim 1",
        "no help request #1 in this community",
        *ELSEWHERE,
    ),
    case(
        "tutor-claim-other-community-beside-local",
        "/tutor claim 2",
        "no help request #2 in this community",
        *ASKED,
        *ELSEWHERE,
    ),
    case(
        "tutor-cancel-other-community-by-asker",
        "/tutor cancel 1",
        "no help request #1",
        *ELSEWHERE,
        *BO,
        user="bo",
    ),
    case("tutor-done-other-community", "/tutor done 1", "no help request #1", *ELSEWHERE),
    case(
        "tutor-thank-other-community",
        "/tutor thank 1",
        "no help request #1",
        *ELSEWHERE,
        by("ana", "/tutor claim 1", community=OTHER),
        by("ana", "/tutor done 1", community=OTHER),
        user="bo",
    ),
    # -- tutoring: who may do what, and when ----------------------------------------------------
    case("tutor-claim-own", "/tutor claim 1", "is your own request", *ASKED, user="bo"),
    case("tutor-claim-claimed", "/tutor claim 1", "#1 is claimed", *CLAIMED, user="cy"),
    case("tutor-claim-claimed-again", "/tutor claim 1", "can't be claimed", *CLAIMED),
    case("tutor-claim-done", "/tutor claim 1", "#1 is done", *DONE, user="cy"),
    case("tutor-claim-cancelled", "/tutor claim 1", "#1 is cancelled", *CANCELLED),
    case(
        "tutor-done-stranger",
        "/tutor done 1",
        "only the person who asked or the tutor who claimed #1",
        *CLAIMED,
        user="cy",
    ),
    case("tutor-done-unclaimed-stranger", "/tutor done 1", "only the person who asked", *ASKED),
    case("tutor-done-twice", "/tutor done 1", "#1 is already done", *DONE),
    case(
        "tutor-done-cancelled",
        "/tutor done 1",
        "already cancelled",
        *CLAIMED,
        by("bo", "/tutor cancel 1"),
    ),
    case(
        "tutor-cancel-stranger",
        "/tutor cancel 1",
        "only the person who asked can cancel #1",
        *ASKED,
        user="cy",
    ),
    case("tutor-cancel-by-claimer", "/tutor cancel 1", "only the person who asked", *CLAIMED),
    case("tutor-cancel-twice", "/tutor cancel 1", "already cancelled", *CANCELLED, user="bo"),
    case("tutor-cancel-done", "/tutor cancel 1", "#1 is already done", *DONE, user="bo"),
    case("tutor-thank-open", "/tutor thank 1", "no helper to thank yet", *ASKED, user="bo"),
    case("tutor-thank-claimed", "/tutor thank 1 cheers", "it is claimed", *CLAIMED, user="bo"),
    case(
        "tutor-thank-self-resolved",
        "/tutor thank 1",
        "once a tutor has claimed and resolved it",
        *ASKED,
        by("bo", "/tutor done 1"),
        user="bo",
    ),
    case("tutor-thank-cancelled", "/tutor thank 1", "no helper", *CANCELLED, user="bo"),
    case(
        "tutor-thank-twice",
        "/tutor thank 1 again",
        "you already thanked",
        *THANKED,
        user="bo",
    ),
    case(
        "tutor-thank-by-helper",
        "/tutor thank 1",
        "only the person who asked #1 can thank",
        *DONE,
    ),
    case(
        "tutor-thank-by-stranger", "/tutor thank 1", "only the person who asked", *DONE, user="cy"
    ),
    case(
        "tutor-thank-forgotten-helper",
        "/tutor thank 1 thanks!",
        "The person who helped with #1 has since deleted their Cohort data, so thanks can't reach",
        *HELPER_FORGOT,
    ),
    case(
        "tutor-thank-forgotten-helper-no-message",
        "/tutor thank #1",
        "has since deleted their cohort data",
        *HELPER_FORGOT,
    ),
    case(
        "tutor-thank-forgotten-helper-who-came-back",
        "/tutor thank 1",
        "has since deleted their cohort data",
        *HELPER_FORGOT,
        by("bob", "/me"),
    ),
    # -- tutoring: offers -----------------------------------------------------------------------
    case("tutor-stop-unoffered", "/tutor stop recursion", "you offer: nothing"),
    case(
        "tutor-stop-other-topic",
        "/tutor stop recursion",
        "you don't offer recursion. you offer: sql joins",
        "/tutor offer sql joins",
    ),
    case(
        "tutor-offer-already",
        "/tutor offer recursion",
        "you already offer recursion",
        "/tutor offer recursion",
    ),
    case(
        "tutor-offer-already-other-case",
        "/tutor offer Recursion,  RECURSION",
        "already offer",
        "/tutor offer recursion",
    ),
    case(
        "tutor-offer-over-20",
        "/tutor offer one more",
        "at most 20 topics",
        "/tutor offer " + ", ".join(f"topic {i}" for i in range(20)),
    ),
    case(
        "tutor-offer-21-at-once",
        "/tutor offer " + ", ".join(f"topic {i}" for i in range(21)),
        "stop one first with /tutor stop",
    ),
    case(
        "tutor-offer-repeated-in-one-line-already",
        "/tutor offer SQL, sql",
        "you already offer sql",
        "/tutor offer sql",
    ),
    case(
        "tutor-offer-over-20-repeats-count-once",
        "/tutor offer new, NEW, other",
        "at most 20 topics",
        "/tutor offer " + ", ".join(f"topic {i}" for i in range(19)),
    ),
    # -- reflections ----------------------------------------------------------------------------
    case(
        "reflect-private-and-anonymous",
        "/reflect it clicked --private --anonymous",
        "choose one: --private",
    ),
    # -- prompts --------------------------------------------------------------------------------
    case("prompts-add-non-organiser", "/prompts add What surprised you?", "for organisers"),
    case(
        "prompts-add-builtin-pack",
        "/prompts add What surprised you? --pack weekly-reflection",
        "is a built-in pack",
        admin=True,
    ),
    case(
        "prompts-add-builtin-pack-uppercase",
        "/prompts add What surprised you? --pack Weekly-Reflection",
        "can't be changed",
        admin=True,
    ),
    case(
        "prompts-add-pack-with-space",
        '/prompts add What surprised you? --pack "team retro"',
        "lowercase letters, digits and dashes",
        admin=True,
    ),
    case(
        "prompts-add-pack-underscore",
        "/prompts add What surprised you? --pack team_retro",
        "e.g. --pack team-retro",
        admin=True,
    ),
    case(
        "prompts-add-pack-leading-dash",
        "/prompts add What surprised you? --pack -retro",
        "lowercase letters",
        admin=True,
    ),
    case(
        "prompts-add-duplicate",
        "/prompts add what   SURPRISED you?",
        "custom already has that prompt",
        root("/prompts add What surprised you?"),
        user="root",
        admin=True,
    ),
    case(
        "prompts-add-duplicate-named-pack",
        "/prompts add What surprised you? --pack team-retro",
        "team-retro already has that prompt",
        root("/prompts add What surprised you? --pack team-retro"),
        user="root",
        admin=True,
    ),
    # -- scheduling -----------------------------------------------------------------------------
    case(
        "schedule-not-organiser",
        "/prompts schedule #general monday 09:00",
        "that is for organisers",
    ),
    case(
        "schedule-bad-zone",
        "/prompts schedule #general monday 09:00 --tz Mars/Olympus",
        "not a time zone I know",
        admin=True,
    ),
    case(
        "schedule-zone-typo",
        "/prompts schedule #general monday 09:00 --tz europe/berlinn",
        "did you mean Europe/Berlin",
        admin=True,
    ),
    case(
        "schedule-bad-time",
        "/prompts schedule #general monday 25:00",
        "24-hour HH:MM",
        admin=True,
    ),
    case(
        "schedule-am-pm",
        "/prompts schedule #general monday 9am",
        "24-hour HH:MM",
        admin=True,
    ),
    case(
        "schedule-bad-day",
        "/prompts schedule #general someday 09:00",
        "monday ... sunday) or daily",
        admin=True,
    ),
    case(
        "schedule-unknown-pack",
        "/prompts schedule #general monday 09:00 --pack nonsense",
        "no prompt pack called nonsense",
        admin=True,
    ),
    case(
        "schedule-everyone-channel",
        "/prompts schedule @everyone monday 09:00",
        "must be a channel",
        admin=True,
    ),
    case(
        "schedule-channel-everyone-word",
        "/prompts schedule everyone monday 09:00",
        "must be a channel",
        admin=True,
    ),
    case(
        "schedule-channel-10000",
        "/prompts schedule " + "c" * 10_000 + " monday 09:00",
        "must be a channel, e.g. #general",
        admin=True,
    ),
    case(
        "schedule-every-zero",
        "/prompts schedule #general daily 09:00 --every 0",
        "--every must be from 1 to 12",
        admin=True,
    ),
    case(
        "schedule-twice",
        "/prompts schedule #general monday 09:00",
        "already scheduled as #1",
        root("/prompts schedule #general monday 09:00"),
        admin=True,
    ),
    case(
        "schedule-pause-unknown",
        "/prompts pause 7",
        "no prompt schedule #7 here",
        admin=True,
    ),
    case(
        "schedule-pause-huge-id",
        "/prompts pause 99999999999999",
        "no prompt schedule #99999999999999",
        admin=True,
    ),
    case(
        "schedule-pause-other-community",
        "/prompts pause 1",
        "no prompt schedule #1 here",
        by("root", "/prompts schedule #general monday 09:00", admin=True, community=OTHER),
        admin=True,
    ),
    case(
        "schedule-pause-twice",
        "/prompts pause 1",
        "already paused",
        root("/prompts schedule #general monday 09:00"),
        root("/prompts pause 1"),
        admin=True,
    ),
    case(
        "schedule-resume-running",
        "/prompts resume 1",
        "is not paused",
        root("/prompts schedule #general monday 09:00"),
        admin=True,
    ),
    case(
        "schedule-post-now-not-organiser",
        "/prompts post-now 1",
        "that is for organisers",
        root("/prompts schedule #general monday 09:00"),
    ),
    case(
        "schedule-meeting-id-is-not-a-prompt",
        "/prompts remove 1",
        "no prompt schedule #1",
        *GROUP,
        "/group meet Algebra monday 18:00",
        admin=True,
    ),
    case("skip-bad-date", "/prompts skip 24/12/2026", "YYYY-MM-DD", admin=True),
    case("skip-past", "/prompts skip 2026-09-01", "has passed", admin=True),
    case("skip-far", "/prompts skip 2031-01-01", "two years ahead", admin=True),
    case(
        "skip-twice",
        "/prompts skip 2026-12-24",
        "already a skip date",
        root("/prompts skip 2026-12-24"),
        admin=True,
    ),
    case("skip-undo-unknown", "/prompts skip 2026-12-24 --undo", "is not a skip date", admin=True),
    case("meet-unknown-group", "/group meet Geometry monday 18:00", "no group called Geometry"),
    case(
        "meet-unquoted-name",
        "/group meet Linear Algebra monday 18:00",
        "put names with spaces in quotes",
        '/group create "Linear Algebra"',
    ),
    case("meet-daily", "/group meet Algebra daily 18:00", "weekday", *GROUP),
    case("meet-no-time", "/group meet Algebra monday", "give the meeting time", *GROUP),
    case("meet-bad-time", "/group meet Algebra monday 6pm", "24-hour HH:MM", *GROUP),
    case(
        "meet-bad-zone",
        "/group meet Algebra monday 18:00 --tz Berlin",
        "not a time zone I know",
        *GROUP,
    ),
    case(
        "meet-remind-too-long",
        "/group meet Algebra monday 18:00 --remind 5000",
        "--remind must be from 0 to 1440",
        *GROUP,
    ),
    case(
        "meet-not-facilitator",
        "/group meet Algebra monday 18:00",
        "creator, its facilitator or an organiser",
        *GROUP_BO,
        user="bo",
    ),
    case("meet-off-none", "/group meet Algebra off", "has no weekly meeting", *GROUP),
    case("meet-archived", "/group meet Algebra monday 18:00", "was archived", *ARCHIVED),
    case(
        "setup-reminder-bad-time",
        "/cohort setup --checkin-reminder 7pm",
        "24-hour HH:MM",
        admin=True,
    ),
    case(
        "setup-reminder-not-organiser",
        "/cohort setup --checkin-reminder 18:00",
        "that is for organisers",
    ),
    # -- me: time zone --------------------------------------------------------------------------
    case("me-timezone-mars", "/me timezone Mars/Olympus", "is not a time zone i know"),
    case("me-timezone-berlin", "/me timezone Berlin", "did you mean europe/berlin"),
    case("me-timezone-blank", '/me timezone "   "', "needs <zone>"),
    case("me-timezone-path", "/me timezone ../../etc/passwd", "use an iana name"),
    case("me-timezone-utc-offset", "/me timezone UTC+2", "not a time zone"),
    # Names that mean the host's zone, or nothing: shards on different hosts would disagree.
    case(
        "me-timezone-localtime", "/me timezone localtime", "'localtime' is not a time zone i know"
    ),
    case(
        "me-timezone-localtime-upper",
        "/me timezone LOCALTIME",
        "not a time zone",
        "/me timezone Europe/Berlin",
    ),
    case("me-timezone-posixrules", "/me timezone posixrules", "'posixrules' is not a time zone"),
    case("me-timezone-factory", "/me timezone Factory", "'factory' is not a time zone i know"),
    case(
        "cohort-setup-timezone-localtime",
        "/cohort setup --timezone localtime",
        "is not a time zone",
        admin=True,
    ),
    case(
        "cohort-setup-timezone-factory",
        "/cohort setup --timezone factory",
        "is not a time zone",
        admin=True,
    ),
    # -- me: away -------------------------------------------------------------------------------
    case("me-away-month-13", "/me away 2026-13-01", "write it as yyyy-mm-dd"),
    case("me-away-feb-30", "/me away 2026-02-30", "i can't read the start date '2026-02-30'"),
    case(
        "me-away-not-a-date",
        "/me away not-a-date",
        "I can't read the start date 'not-a-date'. Write it as YYYY-MM-DD, e.g. 2026-12-24.",
    ),
    case(
        "me-away-fullwidth-digits",
        "/me away \uff12\uff10\uff12\uff16-\uff11\uff10-\uff10\uff11",
        "can't read the start date",
    ),
    case("me-away-fullwidth-days", "/me away \uff15d", "can't read the start date '\uff15d'"),
    case("me-away-short-month", "/me away 2026-9-7", "yyyy-mm-dd"),
    case(
        "me-away-end-not-a-date",
        "/me away 2026-09-10 someday",
        "I can't read the end date 'someday'. Write it as YYYY-MM-DD, e.g. 2026-12-24.",
    ),
    case("me-away-end-feb-30", "/me away 2026-09-10 2027-02-30", "yyyy-mm-dd"),
    case("me-away-past", "/me away 2026-09-01", "is in the past"),
    case("me-away-past-range", "/me away 2026-09-01 2026-09-10", "starts today or later"),
    case(
        "me-away-end-before-start",
        "/me away 2026-09-20 2026-09-10",
        "the end date 2026-09-10 is before the start 2026-09-20",
    ),
    case("me-away-0d", "/me away 0d", "away is 1 to 365 days"),
    case("me-away-400d", "/me away 400d", "1 to 365 days"),
    case("me-away-366d", "/me away 366d", "1 to 365 days"),
    case("me-away-1000d", "/me away 1000d", "away is 1 to 365 days, e.g. /me away 5d"),
    case("me-away-many-digits-d", "/me away 999999999d", "away is 1 to 365 days"),
    case("me-away-zeros-d", "/me away 000d", "away is 1 to 365 days"),
    case("me-away-length-and-end", "/me away 5d 2026-09-20", "give either a length (5d) or dates"),
    case("me-away-over-a-year", "/me away 2026-09-07 2027-09-07", "at most 365 days"),
    case(
        "me-away-overlap-inside",
        "/me away 2026-09-15",
        "overlaps your away time 2026-09-10 to 2026-09-20",
        "/me away 2026-09-10 2026-09-20",
    ),
    case(
        "me-away-overlap-around",
        "/me away 2026-09-08 2026-09-30",
        "use /me back to end it first",
        "/me away 2026-09-10 2026-09-12",
    ),
    case("me-away-overlap-length", "/me away 3d", "overlaps", "/me away 5d"),
    case("me-back-not-away", "/me back", "you are not away"),
    case("me-back-twice", "/me back", "nothing to end", "/me away 5d", "/me back"),
    # /me back ends only an away period covering today; planned ones need --upcoming.
    case(
        "me-back-only-planned",
        "/me back",
        "You are not away now. Your next away time is Thu 10 Sep 2026 to Sat 12 Sep 2026; "
        "to cancel planned away time, use /me back --upcoming.",
        *PLANNED,
    ),
    case(
        "me-back-shows-the-earliest-planned",
        "/me back",
        "your next away time is thu 10 sep 2026 to sat 12 sep 2026",
        "/me away 2026-09-20 2026-09-22",
        *PLANNED,
    ),
    case(
        "me-back-after-ending-today-planned-remains",
        "/me back",
        "use /me back --upcoming",
        "/me away 3d",
        *PLANNED,
        "/me back",
    ),
    case("me-back-upcoming-nothing", "/me back --upcoming", "nothing to end"),
    case(
        "me-back-upcoming-twice",
        "/me back --upcoming",
        "nothing to end",
        *PLANNED,
        "/me back --upcoming",
    ),
    case("me-back-upcoming-typo", "/me back --upcomming", "its options: --upcoming", *PLANNED),
    # -- cohort ---------------------------------------------------------------------------------
    case("cohort-setup-non-organiser", "/cohort setup", "that is for organisers"),
    case(
        "cohort-setup-non-organiser-change",
        "/cohort setup --timezone Europe/Berlin",
        "name you with /cohort setup --organiser",
        user="bo",
    ),
    case("cohort-stats-non-organiser", "/cohort stats", "for organisers", user="bo"),
    case("cohort-stats-non-organiser-days", "/cohort stats --days 30", "for organisers"),
    case(
        "cohort-stats-removed-organiser",
        "/cohort stats",
        "for organisers",
        *BO,
        root("/cohort setup --organiser bo"),
        root("/cohort setup --remove-organiser bo"),
        user="bo",
    ),
    case(
        "cohort-setup-bad-timezone",
        "/cohort setup --timezone Mars/Olympus",
        "not a time zone",
        admin=True,
    ),
    case(
        "cohort-setup-timezone-typo",
        "/cohort setup --timezone Europe/Berln",
        "did you mean europe/berlin",
        admin=True,
    ),
    case(
        "cohort-setup-bad-timezone-by-named-organiser",
        "/cohort setup --timezone Nowhere",
        "not a time zone",
        *BO,
        root("/cohort setup --organiser bo"),
        user="bo",
    ),
    case(
        "cohort-setup-reflections-public",
        "/cohort setup --reflections public",
        "must be one of private, shared",
        admin=True,
    ),
    case(
        "cohort-setup-unknown-organiser",
        "/cohort setup --organiser zed",
        "don't know a member called zed",
        admin=True,
    ),
    case(
        "cohort-setup-organiser-everyone",
        "/cohort setup --organiser @everyone",
        "must name one member",
        admin=True,
    ),
    case(
        "cohort-setup-remove-non-organiser",
        "/cohort setup --remove-organiser bo",
        "bo was not named as an organiser",
        *BO,
        admin=True,
    ),
    case(
        "cohort-setup-remove-unknown",
        "/cohort setup --remove-organiser zed",
        "don't know a member called zed",
        admin=True,
    ),
    case(
        "cohort-setup-good-timezone-bad-organiser",
        "/cohort setup --timezone Europe/Berlin --organiser zed",
        "don't know a member called zed",
        admin=True,
    ),
    case(
        "cohort-setup-good-organiser-bad-remove",
        "/cohort setup --organiser bo --remove-organiser cy",
        "cy was not named as an organiser",
        *BO,
        *CY,
        admin=True,
    ),
    case("cohort-help-unknown", "/cohort help frobnicate", "there is no command /frobnicate"),
    case("cohort-help-unknown-sub", "/cohort help group frob", "no command /group frob"),
    case("cohort-help-slash-typo", "/cohort help /grop", "/cohort help lists them all"),
]


def test_the_corpus_is_large_and_ids_are_unique() -> None:
    ids = [p.id for p in CASES]  # type: ignore[attr-defined]
    assert len(ids) >= 120
    assert len(set(ids)) == len(ids), [i for i in ids if ids.count(i) > 1]


@pytest.mark.parametrize(("setup", "line", "user", "admin", "fragment"), CASES)
def test_bad_input_is_refused_and_changes_nothing(
    harness: Harness,
    setup: tuple[Step, ...],
    line: str,
    user: str,
    admin: bool,
    fragment: str,
) -> None:
    for step in setup:
        step.run(harness)
    before = harness.snapshot()

    outcome = harness.run(line, as_user=user, admin=admin)

    reply = outcome.reply
    assert reply.is_error, f"{line[:80]!r} succeeded: {reply.text}"
    assert fragment.casefold() in reply.text.casefold(), reply.text
    assert reply.visibility is Visibility.PRIVATE
    assert outcome.posts == ()
    assert harness.snapshot() == before


def test_the_snapshot_sees_a_change(harness: Harness) -> None:
    """Guards the corpus: a command that does change the store changes the snapshot."""
    before = harness.snapshot()
    harness.ok("/me", as_user="bo")
    assert harness.snapshot() != before
