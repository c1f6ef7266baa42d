"""Settings, presets, prompt, trust, budget, classification and the dialect parsers: the parts
of kiro_tui.core.runs that need no agent process."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kiro_tui.core.ids import is_valid_id
from kiro_tui.core.model import Review
from kiro_tui.core.runs import budget as bud
from kiro_tui.core.runs import records, trust
from kiro_tui.core.runs.classify import classify
from kiro_tui.core.runs.dialects import parser_for
from kiro_tui.core.runs.environment import scrub_env
from kiro_tui.core.runs.output import Line
from kiro_tui.core.runs.presets import BUILTIN, PresetError, build_argv, dangerous_flags, lookup
from kiro_tui.core.runs.prompt import compose, new_run_id
from kiro_tui.core.runs.records import RunRecord, Usage
from kiro_tui.core.runs.settings_parse import parse_settings
from tests.unit.test_runs_support import make_milestone, make_repo, make_task

# ---------------------------------------------------------------- settings


def test_defaults() -> None:
    s, problems = parse_settings(None, None)
    assert problems == []
    assert s.agent == "claude" and s.concurrency == 1
    assert s.timeouts.idle == 900 and s.timeouts.after_result == 20
    assert "CLAUDECODE" in s.env.drop and not s.allow_dangerous and not s.needs_trust


def test_full_mapping_parses() -> None:
    repo = {
        "agent": "codex",
        "concurrency": 2,
        "phases": {
            "design": {
                "agent": "claude",
                "timeout": 600,
                "max_turns": 30,
                "verify": [["make", "lint"], {"argv": ["pytest"], "timeout": 60}],
            }
        },
        "timeouts": {"run": 3600, "idle": 300, "after_result": 10},
        "retries": {"count": 2, "backoff": 1, "jitter": 0.5},
        "env": {"pass": ["MY_KEY"], "drop": ["OTHER"]},
        "pause": {"mode": "freeze", "freeze_max": 120},
    }
    s, problems = parse_settings(repo, None)
    assert problems == []
    assert (
        s.agent == "codex" and s.agent_for("design") == "claude" and s.agent_for("spec") == "codex"
    )
    d = s.phase("design")
    assert d.timeout == 600 and d.max_turns == 30
    assert [v.argv for v in d.verify] == [("make", "lint"), ("pytest",)]
    assert d.verify[1].timeout == 60
    assert s.env.drop == ("CLAUDECODE", "OTHER") and s.env.pass_ == ("MY_KEY",)
    assert s.pause.mode == "freeze" and s.retries.count == 2
    assert s.needs_trust  # verify and env are execution-capable


def test_bad_values_are_located_problems_never_exceptions() -> None:
    repo = {
        "concurrency": "many",
        "timeouts": {"idle": -1},
        "phases": {"nope": {}, "spec": {"verify": "make test"}},
        "presets": {"x": {"argv": "run me"}},
        "pause": {"mode": "sleep"},
        "budget": "lots",
        "agent": "unknown-cli",
    }
    s, problems = parse_settings(repo, ["not", "a", "mapping"])
    text = [str(p) for p in problems]
    assert any("executor.concurrency" in t for t in text)
    assert any("executor.timeouts.idle" in t for t in text)
    assert any("executor.phases.nope" in t for t in text)
    assert any("executor.phases.spec.verify" in t and "shell strings" in t for t in text)
    assert any("executor.presets.x.argv" in t for t in text)
    assert any("executor.pause.mode" in t for t in text)
    assert any("executor.budget" in t for t in text)
    assert any("unknown preset 'unknown-cli'" in t for t in text)
    assert all(t.startswith((".milestones/config/kiro-config.yaml:", "~/.config")) for t in text)
    assert s.concurrency == 1 and s.timeouts.idle == 900


def test_budget_is_the_lower_and_the_repo_cannot_allow_dangerous() -> None:
    user = {"budget": {"phase": {"usd": 5, "runs": 3}, "milestone": {"usd": 50}}}
    repo = {
        "budget": {"phase": {"usd": 10, "tokens": 1000}, "milestone": {"usd": 20}},
        "allow_dangerous": True,
    }
    s, problems = parse_settings(repo, user)
    assert s.budget.phase.usd == 5 and s.budget.phase.runs == 3 and s.budget.phase.tokens == 1000
    assert s.budget.milestone.usd == 20
    assert not s.allow_dangerous and any("allow_dangerous" in str(p) for p in problems)
    s2, _ = parse_settings({}, {"allow_dangerous": True})
    assert s2.allow_dangerous


# ---------------------------------------------------------------- presets


def test_builtin_argv() -> None:
    s, _ = parse_settings({"phases": {"design": {"max_turns": 12}}}, None)
    inv = build_argv(lookup("claude", s), s, "design", "/r/prompt.md", budget_usd=2.5)
    assert inv.argv[:5] == ("claude", "-p", "--output-format", "stream-json", "--verbose")
    assert inv.argv[inv.argv.index("--max-turns") :][:2] == ("--max-turns", "12")
    assert "--max-budget-usd" in inv.argv and "--allowedTools" in inv.argv and inv.stdin_prompt
    res = build_argv(lookup("claude", s), s, "design", "p", session_id="abc")
    assert res.resumed and res.argv[res.argv.index("--resume") + 1] == "abc"
    codex = build_argv(lookup("codex", s), s, "spec", "p", session_id="th1")
    assert codex.argv[:2] == ("codex", "exec") and codex.argv[-3:] == ("resume", "th1", "-")
    aider = build_argv(lookup("aider", s), s, "spec", "/r/prompt.md")
    assert aider.argv[:3] == ("aider", "--message-file", "/r/prompt.md") and not aider.stdin_prompt
    assert not BUILTIN["aider"].can_resume and not BUILTIN["aider"].exit_meaningful
    gem = build_argv(lookup("gemini", s), s, "spec", "p")
    assert "--approval-mode" in gem.argv and "-p" in gem.argv
    with pytest.raises(PresetError):
        lookup("command", s)


@pytest.mark.parametrize(
    "argv",
    [
        ["claude", "--dangerously-skip-permissions"],
        ["claude", "--permission-mode", "bypassPermissions"],
        ["gemini", "--yolo"],
        ["gemini", "-y"],
        ["codex", "exec", "--sandbox", "danger-full-access"],
        ["codex", "--dangerously-bypass-approvals-and-sandbox"],
        ["opencode", "run", "--auto"],
    ],
)
def test_dangerous_flags_detected(argv: list[str]) -> None:
    assert dangerous_flags(argv)


def test_dangerous_preset_refused_unless_user_allowed() -> None:
    repo = {"presets": {"y": {"argv": ["gemini", "--yolo"], "dialect": "gemini"}}}
    s, _ = parse_settings(repo, None)
    with pytest.raises(PresetError) as exc:
        build_argv(lookup("y", s), s, "design", "p")
    assert exc.value.kind == "dangerous_flags"
    s2, _ = parse_settings(repo, {"allow_dangerous": True})
    assert build_argv(lookup("y", s2), s2, "design", "p").argv == ("gemini", "--yolo")
    assert dangerous_flags(BUILTIN["claude"].argv) == []
    assert dangerous_flags(BUILTIN["aider"].argv) == []


def test_scrub_env() -> None:
    env = {
        "PATH": "/bin",
        "HOME": "/h",
        "CLAUDECODE": "1",
        "AWS_SECRET": "x",
        "MY_KEY": "k",
        "ANTHROPIC_API_KEY": "a",
    }
    out = scrub_env(
        env, ("MY_KEY", "ANTHROPIC_*", "CLAUDECODE"), ("CLAUDECODE",), {"KIRO_RUN_ID": "r"}
    )
    assert out == {
        "PATH": "/bin",
        "HOME": "/h",
        "MY_KEY": "k",
        "ANTHROPIC_API_KEY": "a",
        "KIRO_RUN_ID": "r",
    }


# ---------------------------------------------------------------- prompt and ids


def test_prompt_names_everything_the_agent_needs(tmp_path: Path) -> None:
    from dataclasses import replace

    t = make_task()
    design = replace(
        t.phases[0], status="approved", approved_by="alice", approval_notes="Looks right"
    )
    spec = replace(
        t.phases[1],
        status="in_progress",
        rejection_reason="Add a rollback plan",
        rejected_by="bob",
        review_history=(
            Review("request_changes", "bob", "2026-11-25T10:00:00Z", "Add a rollback plan"),
        ),
    )
    t = replace(t, phases=(design, spec, *t.phases[2:]))
    text = compose(
        make_milestone(t),
        t,
        "spec",
        resume=True,
        present=(".milestones/deliverables/t1/spec/spec_notes.md",),
    )
    assert ".milestones/deliverables/t1/spec/spec_notes.md" in text
    assert "<!-- kiro-tui:template -->" in text
    assert "Architecture documented and reviewed" in text
    assert ".milestones/deliverables/t1/design/data_model.md" in text
    assert "approved by alice: Looks right" in text
    assert "Add a rollback plan" in text and "request_changes by bob" in text
    assert "Re-check what is on disk" in text and "already present" in text


def test_run_ids_are_valid_and_unique(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    a = new_run_id(root, "m1", "t1", "design")
    b = new_run_id(root, "m1", "t1", "design")
    assert a != b and is_valid_id(a) and is_valid_id(b) and a.startswith("m1-t1-design-")
    long = new_run_id(root, "m" * 128, "t" * 128, "execute")
    assert is_valid_id(long) and len(long) <= 128


# ---------------------------------------------------------------- records


def test_record_round_trip_and_proc_start_time(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    (records.runs_dir(root) / "r1").mkdir(parents=True)
    rec = RunRecord(
        "r1",
        "m1",
        "t1",
        "design",
        status="running",
        pid=os.getpid(),
        start_time=records.proc_start_time(os.getpid()),
        argv=("claude", "-p"),
        usage=Usage(10, 5, None),
    )
    records.write(root, rec)
    back = records.read(root, "r1")
    assert back == rec and back.usage.cost_usd is None
    raw = json.loads((records.run_dir(root, "r1") / "meta.json").read_text())
    assert raw["usage"]["cost_usd"] is None and raw["usage"]["tokens"] == 15
    assert records.same_process(os.getpid(), records.proc_start_time(os.getpid()))
    assert not records.same_process(os.getpid(), 1)
    assert [r.run_id for r in records.list_runs(root, "m1")] == ["r1"]
    assert records.list_runs(root, "m2") == []


def test_a_live_driver_has_no_orphans(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    (records.runs_dir(root) / "r1").mkdir(parents=True)
    me = os.getpid()
    records.write(
        root,
        RunRecord(
            "r1",
            "m1",
            "t1",
            "design",
            status="running",
            pid=me,
            start_time=records.proc_start_time(me),
            host=records.hostname(),
            driver_pid=me,
            driver_start_time=records.proc_start_time(me),
        ),
    )
    assert records.find_orphans(root) == []  # its driver (us) is alive


# ---------------------------------------------------------------- trust


def test_trust_fingerprint_follows_settings_and_scripts(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    (root / "scripts").mkdir()
    script = root / "scripts" / "agent.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    repo = {"presets": {"mine": {"argv": ["./scripts/agent.sh", "--fast"]}}, "agent": "mine"}
    s, _ = parse_settings(repo, None)
    state = tmp_path / "state"
    assert not trust.is_trusted(root, s, state_dir=state)
    fp = trust.trust(root, s, state_dir=state)
    assert trust.is_trusted(root, s, state_dir=state)
    assert not (root / ".milestones" / "trust.json").exists()
    assert (
        json.loads((state / "trust.json").read_text())[os.path.realpath(root)]["fingerprint"] == fp
    )
    script.write_text("#!/bin/sh\nrm -rf /\n")
    assert not trust.is_trusted(root, s, state_dir=state)
    script.write_text("#!/bin/sh\necho hi\n")
    assert trust.is_trusted(root, s, state_dir=state)
    s2, _ = parse_settings({**repo, "phases": {"spec": {"verify": [["make", "test"]]}}}, None)
    assert trust.fingerprint(root, s2) != fp and not trust.is_trusted(root, s2, state_dir=state)
    # timeouts are not execution-capable: changing them keeps the trust
    s3, _ = parse_settings({**repo, "timeouts": {"idle": 5}}, None)
    assert trust.is_trusted(root, s3, state_dir=state)
    assert trust.untrust(root, state_dir=state) and not trust.is_trusted(root, s, state_dir=state)


def test_trust_fingerprints_a_script_named_without_a_slash(tmp_path: Path) -> None:
    """`python agent.py`: the plain argument is a file of the repository, so its content is in
    the fingerprint (an edit of agent.py makes the settings untrusted); `python` and `-u` are
    not files of the repository and are left out. A name relative to `cwd` counts as well."""
    root = make_repo(tmp_path)
    script = root / "agent.py"
    script.write_text("print('hi')\n")
    (root / "tools").mkdir()
    helper = root / "tools" / "check.py"
    helper.write_text("print('ok')\n")
    repo = {
        "presets": {"mine": {"argv": ["python", "-u", "agent.py"]}},
        "agent": "mine",
        "cwd": "tools",
        "phases": {"spec": {"verify": [["python", "check.py"]]}},
    }
    s, problems = parse_settings(repo, None)
    assert problems == []
    assert trust.repo_scripts(root, s.capable_dict()) == [
        Path(os.path.realpath(script)),
        Path(os.path.realpath(helper)),
    ]
    state = tmp_path / "state"
    trust.trust(root, s, state_dir=state)
    assert trust.is_trusted(root, s, state_dir=state)
    script.write_text("import os; os.system('touch /tmp/pwned')\n")
    assert not trust.is_trusted(root, s, state_dir=state)
    script.write_text("print('hi')\n")
    assert trust.is_trusted(root, s, state_dir=state)
    helper.write_text("print('changed')\n")
    assert not trust.is_trusted(root, s, state_dir=state)


def test_builtin_by_name_needs_no_trust(tmp_path: Path) -> None:
    s, _ = parse_settings(
        {"agent": "codex", "phases": {"design": {"agent": "claude", "max_turns": 5}}}, None
    )
    assert trust.is_trusted(make_repo(tmp_path), s, state_dir=tmp_path / "st")


def test_describe_lists_commands_with_warnings(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    (root / "run.py").write_text("print(1)\n")
    repo = {
        "presets": {
            "a": {"argv": ["claude", "--dangerously-skip-permissions"]},
            "b": {"argv": ["python3", "./run.py"]},
            "c": {"argv": ["not-installed-cli"]},
        },
        "phases": {"execute": {"verify": [["make", "test"]], "allowed_tools": ["Bash"]}},
        "env": {"pass": ["AWS_*"]},
        "cwd": "../elsewhere",
    }
    s, _ = parse_settings(repo, None)
    text = "\n".join(trust.describe(root, s, path_env="/usr/bin:/bin"))
    assert "--dangerously-skip-permissions" in text and "dangerous flags" in text
    assert "not-installed-cli is not on your PATH" in text
    assert "run.py" in text and '"make", "test"' in text
    assert "env pass: AWS_*" in text and "outside the repository" in text and "Bash" in text


# ---------------------------------------------------------------- budget


def _rec(
    cost: float | None, tokens: int | None = None, phase: str = "design", dur: float = 10.0
) -> RunRecord:
    return RunRecord(
        "r",
        "m1",
        "t1",
        phase,
        status="succeeded",
        started_at="x",
        duration_s=dur,
        usage=Usage(tokens, 0 if tokens else None, cost),
    )


def test_budget_accounting_keeps_unknown_cost_unknown() -> None:
    assert bud.spend([_rec(None), _rec(None)], "m1", "t1", "design").usd is None
    sp = bud.spend([_rec(0.5), _rec(None), _rec(0.25, phase="spec")], "m1", "t1", "design")
    assert sp.usd == 0.5 and sp.usd_partial and sp.runs == 2 and sp.seconds == 20
    assert bud.spend([_rec(0.5), _rec(0.25, phase="spec")], "m1").usd == 0.75
    assert bud.Spend().usd_text() == "cost unknown"


def test_budget_levels() -> None:
    s, _ = parse_settings(
        None, {"budget": {"phase": {"usd": 1.0, "runs": 3}, "milestone": {"seconds": 100}}}
    )
    ok = bud.check(s.budget, bud.Spend(usd=0.5, runs=1), bud.Spend(seconds=10))
    assert bud.worst(ok) == "ok"
    warn = bud.check(s.budget, bud.Spend(usd=0.8, runs=1), bud.Spend(seconds=10))
    assert bud.worst(warn) == "warn" and warn[0].what == "usd"
    over = bud.check(s.budget, bud.Spend(usd=0.2, runs=3), bud.Spend(seconds=100), starting=True)
    assert {(c.what, c.level) for c in over} == {("runs", "exceeded"), ("seconds", "exceeded")}
    assert "of" in over[0].text()
    unknown = bud.check(s.budget, bud.Spend(usd=None, runs=0), bud.Spend())
    assert unknown == []  # unknown cost cannot be compared: never counted as 0 or as over


# ---------------------------------------------------------------- parsers and classification


def feed(dialect: str, lines: list[object], stderr: list[str] = ()):  # type: ignore[assignment]
    p = parser_for(dialect)
    evs = []
    for x in lines:
        text = x if isinstance(x, str) else json.dumps(x)
        evs += p.feed(Line("stdout", text, False, len(text), None if isinstance(x, str) else x))
    for x in stderr:
        evs += p.feed(Line("stderr", x, False, len(x), None))
    return p.summary, evs


def test_claude_stream() -> None:
    s, evs = feed(
        "claude",
        [
            {"type": "system", "subtype": "init", "session_id": "S1"},
            {
                "type": "assistant",
                "message": {
                    "content": [
                        {"type": "tool_use", "name": "Write", "input": {"file_path": "a.md"}}
                    ]
                },
            },
            "not json",
            {"type": "weird"},
            {
                "type": "result",
                "subtype": "success",
                "is_error": True,
                "result": "API Error: 401",
                "total_cost_usd": 0.2,
                "usage": {"input_tokens": 10, "output_tokens": 5},
                "num_turns": 2,
                "permission_denials": [],
            },
        ],
    )
    assert s.session_id == "S1" and s.terminal and s.is_error and s.usage.cost_usd == 0.2
    assert s.unparsed == 1 and [e.kind for e in evs].count("tool_call") == 1
    assert classify("claude", 0, s).kind == "auth"


def test_codex_gemini_opencode_streams() -> None:
    s, _ = feed(
        "codex",
        [
            {"type": "thread.started", "thread_id": "T"},
            {"type": "item.started", "item": {"type": "command_execution", "command": "ls"}},
            {"type": "turn.completed", "usage": {"input_tokens": 3, "output_tokens": 4}},
        ],
    )
    assert s.session_id == "T" and s.terminal and s.usage.tokens == 7 and s.usage.cost_usd is None
    s, _ = feed(
        "gemini",
        [
            {"type": "init", "session_id": "G"},
            {
                "type": "result",
                "status": "success",
                "stats": {"input_tokens": 1, "output_tokens": 2},
            },
        ],
    )
    assert s.session_id == "G" and s.terminal and not s.is_error
    s, _ = feed(
        "opencode",
        [
            {"type": "step_start", "sessionID": "O"},
            {
                "type": "step_finish",
                "part": {"reason": "tool-calls", "cost": 0.1, "tokens": {"input": 1, "output": 1}},
            },
            {
                "type": "step_finish",
                "part": {"reason": "stop", "cost": 0.2, "tokens": {"input": 1, "output": 1}},
            },
        ],
    )
    assert s.terminal and abs((s.usage.cost_usd or 0) - 0.3) < 1e-9 and s.session_id == "O"


def test_text_dialect_cost_line() -> None:
    s, _ = feed("text", ["Tokens: 2.3k sent, 150 received. Cost: $0.01 message, $0.05 session."])
    assert s.usage.cost_usd == 0.05 and s.usage.input_tokens == 2300


@pytest.mark.parametrize(
    ("dialect", "code", "lines", "stderr", "kind"),
    [
        (
            "claude",
            1,
            [{"type": "result", "is_error": True, "result": "API Error: 429 rate_limit"}],
            [],
            "retryable",
        ),
        (
            "claude",
            1,
            [{"type": "result", "is_error": True, "result": "Overloaded (529)"}],
            [],
            "retryable",
        ),
        ("claude", 2, [], ["error: unknown option '--output-format'"], "preset_incompatible"),
        ("claude", 0, [{"type": "assistant", "message": {"content": []}}], [], "no_result"),
        ("claude", 1, [], ["Invalid API key · Please run /login"], "auth"),
        ("gemini", 41, [], [], "auth"),
        ("gemini", 42, [], [], "preset_incompatible"),
        ("gemini", 52, [], [], "preset_incompatible"),
        ("gemini", 53, [], [], "turn_limit"),
        (
            "codex",
            1,
            [{"type": "error", "message": "stream error: connection reset"}],
            [],
            "retryable",
        ),
        ("text", 1, ["whatever"], [], "failed"),
    ],
)
def test_classification_beats_the_exit_code(
    dialect: str, code: int, lines: list[object], stderr: list[str], kind: str
) -> None:
    s, _ = feed(dialect, lines, stderr)
    assert classify(dialect, code, s).kind == kind


def test_aider_exit_code_means_nothing() -> None:
    s, _ = feed("text", ["Applied edit to a.md"])
    assert classify("text", 1, s, exit_meaningful=False).kind == "deliverables"
    assert classify("claude", 0, s, stop_reason="timeout_idle").kind == "timeout"
    assert classify("claude", -2, s, stop_reason="pause").kind == "stopped"


def test_load_settings_reads_both_files_separately(tmp_path: Path) -> None:
    from kiro_tui.core.runs.settings_parse import load_settings

    root = make_repo(tmp_path)
    (root / ".milestones" / "config" / "kiro-config.yaml").write_text(
        "executor:\n  agent: codex\n  allow_dangerous: true\n  budget: {phase: {usd: 9}}\n"
    )
    user = tmp_path / "user"
    user.mkdir()
    (user / "config.yaml").write_text("executor:\n  budget: {phase: {usd: 2}}\n")
    s, problems = load_settings(root, user_dir=user)
    assert s.agent == "codex" and s.budget.phase.usd == 2 and not s.allow_dangerous
    assert [p.message for p in problems] == [
        "executor.allow_dangerous: ignored: only the user's config may allow dangerous flags"
    ]
    (user / "config.yaml").write_text("executor: [unclosed\n")
    _s, problems = load_settings(root, user_dir=user)
    assert any("not valid YAML" in p.message for p in problems)
