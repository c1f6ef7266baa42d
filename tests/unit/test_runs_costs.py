"""Costs and limits: the price table, per-phase budgets, the milestone budget shared by
concurrent runs, and failed tool calls reported as `tool_error` events. Real agent processes
(the fake agent) through the real RunManager."""

from __future__ import annotations

from pathlib import Path

from kiro_tui.core.runs import records
from kiro_tui.core.runs.pricing import Pricer, model_in_argv, priced
from kiro_tui.core.runs.records import Usage
from kiro_tui.core.runs.settings import Price
from kiro_tui.core.runs.settings_parse import parse_settings
from kiro_tui.core.runs.supervisor import RunManager
from tests.unit.test_runs_support import (
    Events,
    agent_env,
    assert_no_orphans,
    make_milestone,
    make_repo,
    make_task,
    settings,
)


def run_one(tmp_path: Path, scenario: str, agent: str, **user: object):
    root = make_repo(tmp_path)
    ev = Events()
    mgr = RunManager(
        root, settings(agent=agent, **user), on_event=ev, environ=agent_env(tmp_path, scenario)
    )
    ms = make_milestone()
    rid = mgr.start(ms, ms.tasks[0], "design")
    out = mgr.final_outcome(rid, 30.0)
    assert mgr.wait_idle(30.0)
    assert_no_orphans(tmp_path, [r.pgid for r in records.list_runs(root, "m1")])
    return root, ev, out


# ---------------------------------------------------------------- (a) price table


def test_price_table_parses_and_the_user_wins() -> None:
    s, problems = parse_settings(
        {"prices": {"codex": {"input_per_mtok": 0.0, "output_per_mtok": 0.0}, "x": {"a": 1}}},
        {"prices": {"codex": {"input_per_mtok": 2.0, "output_per_mtok": 8.0}}},
    )
    assert s.price("codex") == Price(2.0, 8.0)
    assert s.price(None, "unknown", "codex") == Price(2.0, 8.0)
    assert s.price("unknown") is None
    assert [p.message for p in problems] == [
        "executor.prices.x: needs input_per_mtok and output_per_mtok (USD per million tokens)"
    ]


def test_priced_usage_stays_unknown_without_a_price() -> None:
    u = Usage(1000, 200, None)
    assert priced(u, None).cost_usd is None
    assert priced(Usage(), Price(1, 1)).cost_usd is None  # no tokens: still unknown
    assert priced(u, Price(2.0, 8.0)).cost_usd == 0.0036
    assert priced(Usage(1000, 200, 0.5), Price(2.0, 8.0)).cost_usd == 0.5  # reported wins
    assert model_in_argv(["codex", "exec", "-m", "o4"]) == "o4"
    assert model_in_argv(["gemini", "--model=g-pro"]) == "g-pro"
    s, _ = parse_settings(None, {"prices": {"g-pro": {"input_per_mtok": 1, "output_per_mtok": 1}}})
    assert Pricer(s, "gemini", ["gemini", "--model", "g-pro"]).usage(u, None).cost_usd == 0.0012


def test_codex_tokens_become_usd_with_a_price(tmp_path: Path) -> None:
    prices = {"codex": {"input_per_mtok": 2.0, "output_per_mtok": 8.0}}
    root, ev, out = run_one(tmp_path, "ok", "codex", prices=prices)
    assert out is not None and out.status == "succeeded"
    assert out.usage.cost_usd == 0.0036 and out.usage.tokens == 1200
    assert records.list_runs(root, "m1")[0].usage.cost_usd == 0.0036
    assert ev.of("usage")[-1].data["cost_usd"] == 0.0036


def test_gemini_priced_by_the_model_its_stream_names(tmp_path: Path) -> None:
    prices = {"fake-gemini": {"input_per_mtok": 1.0, "output_per_mtok": 1.0}}
    _root, _ev, out = run_one(tmp_path, "ok", "gemini", prices=prices)
    assert out is not None and out.usage.cost_usd == 0.0012


def test_codex_cost_unknown_without_a_price(tmp_path: Path) -> None:
    root, ev, out = run_one(tmp_path, "ok", "codex")
    assert out is not None and out.status == "succeeded"
    assert out.usage.tokens == 1200 and out.usage.cost_usd is None
    assert records.list_runs(root, "m1")[0].usage.cost_usd is None
    assert ev.of("usage")[-1].data["cost_usd"] is None
    # the run folders are kept out of git
    assert (root / ".milestones" / "runs" / ".gitignore").read_text().splitlines()[-1] == "*"


# ---------------------------------------------------------------- (c) per-phase budget


def test_phase_budget_override_is_the_lower_of_user_and_repo() -> None:
    s, problems = parse_settings(
        {"phases": {"design": {"budget": {"usd": 0.5, "runs": 9}}}},
        {
            "budget": {"phase": {"usd": 2.0, "runs": 3}, "milestone": {"usd": 10}},
            "phases": {"design": {"budget": {"usd": 1.0}}, "spec": {"budget": {"usd": -1}}},
        },
    )
    assert [p.message for p in problems] == [
        "executor.phases.spec.budget.usd: must be a number > 0, got -1"
    ]
    d = s.budget_for("design")
    assert (d.phase.usd, d.phase.runs, d.milestone.usd) == (0.5, 3, 10)
    # a phase without an override keeps budget.phase
    assert s.budget_for("task").phase.usd == 2.0 and s.budget_for("task").phase.runs == 3


def test_phase_budget_override_stops_the_run(tmp_path: Path) -> None:
    # the phase-wide limit is generous; the design override is what stops the run
    _root, ev, out = run_one(
        tmp_path,
        "expensive",
        "claude",
        budget={"phase": {"usd": 100.0}},
        phases={"design": {"budget": {"usd": 1.0}}},
    )
    assert out is not None and (out.status, out.kind) == ("blocked", "budget_exceeded")
    ex = ev.of("budget_exceeded")[0]
    assert (ex.data["scope"], ex.data["limit"]) == ("phase", 1.0)


# ---------------------------------------------------------------- (b) concurrent runs


def test_milestone_budget_holds_across_concurrent_runs(tmp_path: Path) -> None:
    """Two runs start together (neither has spent anything yet); each reports $0.60 against a
    milestone limit of $1.00. Whichever reports second sees the other's live $0.60 and is
    stopped: the milestone's budget is not checked against the spend at start only."""
    root = make_repo(tmp_path)
    ev = Events()
    mgr = RunManager(
        root,
        settings(
            concurrency=2,
            budget={"milestone": {"usd": 1.0}},
            timeouts={"after_result": 1},
        ),
        on_event=ev,
        environ=agent_env(tmp_path, "expensive", cost="0.6"),
    )
    ms = make_milestone(make_task("t1"), make_task("t2"))
    ids = [mgr.start(ms, t, "design") for t in ms.tasks]
    outs = [mgr.final_outcome(i, 30.0) for i in ids]
    assert mgr.wait_idle(30.0)
    assert_no_orphans(tmp_path, [r.pgid for r in records.list_runs(root, "m1")])
    over = [o for o in outs if o is not None and o.kind == "budget_exceeded"]
    assert over, [(o.kind, o.reason) for o in outs if o]
    ex = [e for e in ev.of("budget_exceeded") if e.data["scope"] == "milestone"]
    assert ex and ex[0].data["limit"] == 1.0 and ex[0].data["spent"] >= 1.0
    assert {e.run_id for e in ex} == {o.run_id for o in over}
    # and no third run may start: the milestone is over its limit
    again = mgr.start(ms, make_task("t1"), "spec")
    out3 = mgr.final_outcome(again, 30.0)
    assert out3 is not None and out3.kind == "budget_exceeded"
    mgr.close(10.0)


# ---------------------------------------------------------------- (e) tool errors


def test_failed_tool_calls_are_tool_error_events(tmp_path: Path) -> None:
    for agent in ("claude", "codex", "gemini", "opencode"):
        sub = tmp_path / agent
        sub.mkdir()
        _root, ev, out = run_one(sub, "tool_error", agent)
        assert out is not None and out.status == "succeeded", (agent, out)
        errs = ev.of("tool_error")
        assert len(errs) == 1, (agent, ev.kinds())
        assert "make lint" in errs[0].message or "Exit code 2" in errs[0].message, agent
        assert errs[0].level == "warning"
