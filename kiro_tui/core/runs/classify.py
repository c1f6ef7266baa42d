"""How a run ended, judged from what the agent said before its exit code: classification
beats the exit code (Claude can report `is_error: true` and exit 0)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from kiro_tui.core.runs.stream import StreamSummary, short

EndKind = Literal[
    "ok",  # a terminal event without error: judge the deliverables
    "deliverables",  # no terminal event expected (text dialect): judge the deliverables
    "failed",  # the agent reported an error, or exited non-zero
    "needs_input",  # a denied permission or a question: never auto-answered
    "auth",  # authentication failure: blocker, no retry
    "retryable",  # rate limit, overload, network: retry with backoff
    "preset_incompatible",  # usage error: the CLI's flags changed
    "no_result",  # exit 0 without a terminal event: one retry through resume
    "timeout",  # run or idle timeout
    "turn_limit",  # the agent ran out of turns
    "stopped",  # stopped on request (pause, shutdown, user)
    "budget_exceeded",
]

AUTH = re.compile(
    r"\b(401|403)\b|unauthori[sz]ed|authenticat|invalid (x-)?api[ -_]?key|"
    r"api key (is )?(missing|not (set|valid|found))|not logged in|please run "
    r"/?login|oauth token|credentials? (expired|invalid|not found)|"
    r"invalid_api_key",
    re.IGNORECASE,
)
RETRYABLE = re.compile(
    r"\b(429|500|502|503|504|529)\b|rate.?limit|too many requests|"
    r"overloaded|temporarily unavailable|try again later|econnreset|"
    r"etimedout|econnrefused|enotfound|eai_again|network (error|is "
    r"unreachable)|connection (reset|refused|error|closed)|timed? ?out|"
    r"socket hang up|service unavailable",
    re.IGNORECASE,
)
NOT_RETRYABLE = re.compile(r"insufficient_quota|billing|credit balance is too low", re.IGNORECASE)
USAGE = re.compile(
    r"unknown (option|argument|flag)|unrecognized (option|argument)|"
    r"unexpected argument|invalid (choice|option|value for)|no such option|"
    r"^usage:|error: the argument|found argument .* which wasn't expected",
    re.IGNORECASE | re.MULTILINE,
)
GEMINI_EXIT = {41: "auth", 42: "preset_incompatible", 52: "preset_incompatible", 53: "turn_limit"}


@dataclass(frozen=True, slots=True)
class End:
    kind: EndKind
    reason: str  # one line for a log line or a blocker
    retryable: bool = False


def _first(pattern: re.Pattern[str], texts: list[str]) -> str | None:
    for t in texts:
        if pattern.search(t):
            return t
    return None


def classify(
    dialect: str,
    exit_code: int | None,
    s: StreamSummary,
    *,
    stop_reason: str | None = None,
    exit_meaningful: bool = True,
) -> End:
    """The class of a finished run. `stop_reason` is set when we stopped it (timeout_run,
    timeout_idle, after_result, budget_exceeded, pause, shutdown, user). `exit_meaningful` is
    False for agents whose exit code means nothing (aider): the deliverables decide."""
    if stop_reason == "budget_exceeded":
        return End("budget_exceeded", "stopped at the budget limit")
    if stop_reason in ("timeout_run", "timeout_idle"):
        what = "no output for too long" if stop_reason == "timeout_idle" else "ran too long"
        return End("timeout", f"stopped: {what}")
    if stop_reason in ("pause", "shutdown", "user", "stop", "adopted"):
        return End("stopped", f"stopped ({stop_reason})")
    if not exit_meaningful:
        exit_code = None
    # after_result: a terminal event was seen and the process would not exit; judge the event
    texts = [*s.errors, *(s.stderr_tail if exit_code not in (0, None) or s.is_error else ())]
    if s.result_text and s.is_error:
        texts.insert(0, s.result_text)
    if s.denials or s.questions:
        what = (s.denials or s.questions)[0]
        return End("needs_input", f"the agent needs an answer: {what}")
    if dialect == "gemini" and exit_code in GEMINI_EXIT:
        kind = GEMINI_EXIT[exit_code]
        return End(kind, f"gemini exit {exit_code}: {_label(kind)}")  # type: ignore[arg-type]
    failed = s.is_error or (exit_code not in (0, None) and stop_reason != "after_result")
    if failed or s.errors:
        auth = _first(AUTH, texts)
        if auth and failed:
            return End("auth", f"authentication failed: {auth}")
        tail = [short(x, 500) for x in s.stdout_tail]
        usage = _first(USAGE, [*texts, *tail]) if exit_code not in (0, None) else None
        if usage or (exit_code == 2 and not s.terminal and s.lines <= 40 and dialect != "text"):
            return End(
                "preset_incompatible",
                f"the agent CLI refused its arguments (exit {exit_code}): {usage or 'usage error'}",
            )
        retry = _first(RETRYABLE, texts)
        if retry and failed and not _first(NOT_RETRYABLE, texts):
            return End("retryable", f"transient error: {retry}", retryable=True)
        if s.subtype == "error_max_turns":
            return End("turn_limit", "the agent ran out of turns")
        if failed:
            what = texts[0] if texts else f"exit code {exit_code}"
            return End("failed", f"the agent failed: {what}")
    if s.terminal:
        return End("ok", "the agent reported success")
    if dialect == "text":
        # aider and plain commands: the exit code means nothing, the deliverables decide
        return End("deliverables", f"exited {exit_code}; judged by the deliverables")
    if exit_code == 0:
        return End("no_result", "the agent exited without a final result", retryable=True)
    return End("failed", f"the agent exited {exit_code} without a final result")


def _label(kind: str) -> str:
    return {
        "auth": "authentication failed",
        "preset_incompatible": "bad input or config",
        "turn_limit": "turn limit reached",
    }.get(kind, kind)
