"""Parsing the `executor:` settings: the repository's mapping and the user's, into one typed,
immutable `ExecutorSettings`. Bad values never raise: each gives a located one-line problem and
the default is kept.

Layering: the repository overrides the user for ordinary choices (agent, timeouts, verify...),
but budgets take the lower limit of the two, `allow_dangerous` is read from the user's file only,
and env `drop` lists add up (CLAUDECODE is always dropped).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from kiro_tui.core.errors import Problem
from kiro_tui.core.ids import PHASES
from kiro_tui.core.runs.settings import (
    ALWAYS_DROP,
    DIALECTS,
    PROMPT_MODES,
    REPO_SOURCE,
    USER_SOURCE,
    Budget,
    CustomPreset,
    EnvSettings,
    ExecutorSettings,
    MilestoneBudget,
    PauseSettings,
    PhaseBudget,
    PhaseSettings,
    Price,
    Retries,
    StopGrace,
    Timeouts,
)
from kiro_tui.core.runs.settings_reader import SettingsReader


def _timeouts(r: SettingsReader, raw: Any, base: Timeouts) -> Timeouts:
    m = r.mapping(raw, "timeouts")
    run = r.number(m, "run", "timeouts")
    idle = r.number(m, "idle", "timeouts")
    after = r.number(m, "after_result", "timeouts")
    return Timeouts(
        run=run if run is not None else base.run,
        idle=idle if idle is not None else base.idle,
        after_result=after if after is not None else base.after_result,
    )


def _stop(r: SettingsReader, raw: Any, base: StopGrace) -> StopGrace:
    m = r.mapping(raw, "stop")
    i = r.number(m, "interrupt", "stop", allow_zero=True)
    t = r.number(m, "terminate", "stop", allow_zero=True)
    return StopGrace(
        interrupt=base.interrupt if i is None else i, terminate=base.terminate if t is None else t
    )


def _retries(r: SettingsReader, raw: Any, base: Retries) -> Retries:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = {"count": raw}
    m = r.mapping(raw, "retries")
    count = r.number(m, "count", "retries", integer=True, allow_zero=True)
    backoff = r.number(m, "backoff", "retries", allow_zero=True)
    jitter = r.number(m, "jitter", "retries", allow_zero=True)
    cap = r.number(m, "max_backoff", "retries")
    return Retries(
        count=base.count if count is None else int(count),
        backoff=base.backoff if backoff is None else backoff,
        jitter=base.jitter if jitter is None else min(jitter, 1.0),
        max_backoff=base.max_backoff if cap is None else cap,
    )


def _phase_budget(r: SettingsReader, raw: Any, where: str) -> PhaseBudget:
    m = r.mapping(raw, where)
    runs = r.number(m, "runs", where, integer=True)
    tokens = r.number(m, "tokens", where, integer=True)
    return PhaseBudget(
        usd=r.number(m, "usd", where),
        tokens=None if tokens is None else int(tokens),
        seconds=r.number(m, "seconds", where),
        runs=None if runs is None else int(runs),
    )


def _milestone_budget(r: SettingsReader, raw: Any, where: str) -> MilestoneBudget:
    m = r.mapping(raw, where)
    return MilestoneBudget(usd=r.number(m, "usd", where), seconds=r.number(m, "seconds", where))


def _budget(r: SettingsReader, raw: Any) -> Budget:
    m = r.mapping(raw, "budget")
    return Budget(
        phase=_phase_budget(r, m.get("phase"), "budget.phase"),
        milestone=_milestone_budget(r, m.get("milestone"), "budget.milestone"),
    )


def _lower(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _lower_int(a: int | None, b: int | None) -> int | None:
    v = _lower(a, b)
    return None if v is None else int(v)


def lower_budget(user: Budget, repo: Budget) -> Budget:
    """The effective budget: for each limit the lower of the two (a missing limit is none)."""
    up, rp = user.phase, repo.phase
    um, rm = user.milestone, repo.milestone
    return Budget(
        phase=PhaseBudget(
            usd=_lower(up.usd, rp.usd),
            tokens=_lower_int(up.tokens, rp.tokens),
            seconds=_lower(up.seconds, rp.seconds),
            runs=_lower_int(up.runs, rp.runs),
        ),
        milestone=MilestoneBudget(
            usd=_lower(um.usd, rm.usd), seconds=_lower(um.seconds, rm.seconds)
        ),
    )


def _prices(r: SettingsReader, raw: Any) -> dict[str, Price]:
    out: dict[str, Price] = {}
    for name, spec in r.mapping(raw, "prices").items():
        where = f"prices.{name}"
        m = r.mapping(spec, where)
        inp = r.number(m, "input_per_mtok", where, allow_zero=True)
        outp = r.number(m, "output_per_mtok", where, allow_zero=True)
        if inp is None or outp is None:
            if m:
                r.bad(where, "needs input_per_mtok and output_per_mtok (USD per million tokens)")
            continue
        out[str(name)] = Price(inp, outp)
    return out


def _phase_budgets(r: SettingsReader, raw: Any) -> dict[str, PhaseBudget]:
    out: dict[str, PhaseBudget] = {}
    for name, spec in r.mapping(raw, "phases").items():
        if name in PHASES and isinstance(spec, dict) and spec.get("budget") is not None:
            out[name] = _phase_budget(r, spec.get("budget"), f"phases.{name}.budget")
    return out


def _overlay(base: PhaseBudget, over: PhaseBudget | None) -> PhaseBudget:
    if over is None:
        return base
    return PhaseBudget(
        usd=base.usd if over.usd is None else over.usd,
        tokens=base.tokens if over.tokens is None else over.tokens,
        seconds=base.seconds if over.seconds is None else over.seconds,
        runs=base.runs if over.runs is None else over.runs,
    )


def _presets(r: SettingsReader, raw: Any) -> dict[str, CustomPreset]:
    from kiro_tui.core.ids import is_valid_id

    out: dict[str, CustomPreset] = {}
    for name, spec in r.mapping(raw, "presets").items():
        where = f"presets.{name}"
        if not is_valid_id(str(name)):
            r.bad(where, "a preset name is letters, digits, '.', '_' or '-'")
            continue
        if isinstance(spec, list):
            spec = {"argv": spec}
        m = r.mapping(spec, where)
        argv = r.strings(m.get("argv"), f"{where}.argv")
        if not argv:
            if argv is not None or "argv" not in m:
                r.bad(f"{where}.argv", "is required: a non-empty list")
            continue
        dialect = str(m.get("dialect", "text"))
        if dialect not in DIALECTS:
            r.bad(f"{where}.dialect", f"must be one of {', '.join(DIALECTS)}, got {dialect!r}")
            dialect = "text"
        prompt = str(m.get("prompt", "stdin"))
        if prompt not in PROMPT_MODES:
            r.bad(f"{where}.prompt", f"must be one of {', '.join(PROMPT_MODES)}, got {prompt!r}")
            prompt = "stdin"
        resume = r.strings(m.get("resume"), f"{where}.resume") or ()
        env_pass = r.strings(m.get("env_pass"), f"{where}.env_pass") or ()
        out[str(name)] = CustomPreset(str(name), argv, dialect, resume, prompt, env_pass)
    return out


def _phases(
    r: SettingsReader, raw: Any, base: dict[str, PhaseSettings]
) -> dict[str, PhaseSettings]:
    out = dict(base)
    for name, spec in r.mapping(raw, "phases").items():
        where = f"phases.{name}"
        if name not in PHASES:
            r.bad(where, f"unknown phase: phases are {', '.join(PHASES)}")
            continue
        m = r.mapping(spec, where)
        cur = out.get(name, PhaseSettings())
        agent = m.get("agent")
        if agent is not None and not isinstance(agent, str):
            r.bad(f"{where}.agent", "must be a preset name")
            agent = None
        timeout = r.number(m, "timeout", where)
        turns = r.number(m, "max_turns", where, integer=True)
        verify = r.verify(m.get("verify"), f"{where}.verify")
        tools = r.strings(m.get("allowed_tools"), f"{where}.allowed_tools")
        out[name] = PhaseSettings(
            agent=agent or cur.agent,
            timeout=timeout if timeout is not None else cur.timeout,
            max_turns=int(turns) if turns is not None else cur.max_turns,
            verify=verify if verify is not None else cur.verify,
            allowed_tools=tools if tools is not None else cur.allowed_tools,
        )
    return out


def _env(r: SettingsReader, raw: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    m = r.mapping(raw, "env")
    return (r.strings(m.get("pass"), "env.pass") or (), r.strings(m.get("drop"), "env.drop") or ())


def _capable(raw: dict[str, Any]) -> dict[str, Any]:
    """The parts of a repository's `executor:` mapping that can make something run: custom
    presets, verify commands, allowed tools, env and cwd. Canonical: only JSON types."""
    import json

    out: dict[str, Any] = {}
    for key in ("presets", "env", "cwd"):
        if raw.get(key) not in (None, {}, [], ""):
            out[key] = raw[key]
    phases = raw.get("phases")
    if isinstance(phases, dict):
        ph: dict[str, Any] = {}
        for name, spec in phases.items():
            if isinstance(spec, dict):
                sub = {k: spec[k] for k in ("verify", "allowed_tools") if spec.get(k)}
                if sub:
                    ph[str(name)] = sub
        if ph:
            out["phases"] = ph
    # round-trip through JSON so that YAML types (CommentedMap, dates) become plain values
    return json.loads(json.dumps(out, sort_keys=True, default=str))


def _one(
    r: SettingsReader,
    raw: dict[str, Any],
    cur: ExecutorSettings,
    phases: dict[str, PhaseSettings],
    presets: dict[str, CustomPreset],
) -> ExecutorSettings:
    agent = raw.get("agent")
    if agent is not None and not isinstance(agent, str):
        r.bad("agent", "must be a preset name")
        agent = None
    conc = r.number(raw, "concurrency", "", integer=True)
    cwd = raw.get("cwd")
    if cwd is not None and not isinstance(cwd, str):
        r.bad("cwd", "must be a path relative to the repository")
        cwd = None
    pause = r.mapping(raw.get("pause"), "pause")
    mode = pause.get("mode", cur.pause.mode)
    if mode not in ("stop", "freeze"):
        r.bad("pause.mode", f"must be stop or freeze, got {mode!r}")
        mode = cur.pause.mode
    fmax = r.number(pause, "freeze_max", "pause")
    phases.update(_phases(r, raw.get("phases"), phases))
    presets.update(_presets(r, raw.get("presets")))
    return replace(
        cur,
        agent=agent or cur.agent,
        concurrency=int(conc) if conc is not None else cur.concurrency,
        cwd=cwd if cwd is not None else cur.cwd,
        timeouts=_timeouts(r, raw.get("timeouts"), cur.timeouts),
        stop=_stop(r, raw.get("stop"), cur.stop),
        retries=_retries(r, raw.get("retries"), cur.retries),
        pause=PauseSettings(mode=str(mode), freeze_max=fmax if fmax else cur.pause.freeze_max),
    )


def parse_settings(
    repo: Any, user: Any = None, *, repo_source: str = REPO_SOURCE, user_source: str = USER_SOURCE
) -> tuple[ExecutorSettings, list[Problem]]:
    """The effective executor settings from the repository's `executor:` mapping (`repo`) and
    the user's (`user`), and the problems found in either. Never raises."""
    ru, rr = SettingsReader(user_source), SettingsReader(repo_source)
    umap = ru.mapping(user, "")
    rmap = rr.mapping(repo, "")
    if "allow_dangerous" in rmap:
        rr.bad("allow_dangerous", "ignored: only the user's config may allow dangerous flags")
    allow = umap.get("allow_dangerous", False)
    if not isinstance(allow, bool):
        ru.bad("allow_dangerous", f"must be true or false, got {allow!r}")
        allow = False
    phases: dict[str, PhaseSettings] = {}
    presets: dict[str, CustomPreset] = {}
    s = ExecutorSettings()
    s = _one(ru, umap, s, phases, presets)
    s = _one(rr, rmap, s, phases, presets)
    upass, udrop = _env(ru, umap.get("env"))
    rpass, rdrop = _env(rr, rmap.get("env"))
    drop = tuple(dict.fromkeys((*ALWAYS_DROP, *udrop, *rdrop)))
    ubud, rbud = _budget(ru, umap.get("budget")), _budget(rr, rmap.get("budget"))
    budget = lower_budget(ubud, rbud)
    uphase, rphase = _phase_budgets(ru, umap.get("phases")), _phase_budgets(rr, rmap.get("phases"))
    phase_budgets = tuple(
        (
            n,
            lower_budget(
                Budget(phase=_overlay(ubud.phase, uphase.get(n))),
                Budget(phase=_overlay(rbud.phase, rphase.get(n))),
            ).phase,
        )
        for n in PHASES
        if n in uphase or n in rphase
    )
    # the user's prices win over the repository's for the same name (they feed the budgets)
    prices = {**_prices(rr, rmap.get("prices")), **_prices(ru, umap.get("prices"))}
    for name, p in phases.items():
        if p.agent and p.agent not in presets and not _is_builtin(p.agent):
            rr.bad(f"phases.{name}.agent", f"unknown preset {p.agent!r}")
    if not _is_builtin(s.agent) and s.agent not in presets:
        rr.bad("agent", f"unknown preset {s.agent!r}")
    s = replace(
        s,
        phases=tuple((n, phases[n]) for n in PHASES if n in phases),
        presets=tuple(sorted(presets.items())),
        budget=budget,
        phase_budgets=phase_budgets,
        prices=tuple(sorted(prices.items())),
        env=EnvSettings(pass_=tuple(dict.fromkeys((*upass, *rpass))), drop=drop),
        allow_dangerous=allow,
        repo_capable=tuple(sorted(_capable(rmap).items())),
    )
    return s, ru.problems + rr.problems


def _is_builtin(name: str) -> bool:
    from kiro_tui.core.runs.presets import BUILTIN

    return name in BUILTIN


def _executor_mapping(path: Path, source: str, problems: list[Problem]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(source, f"cannot read: {exc}", kind="invalid_config"))
        return None
    from ruamel.yaml import YAML

    try:
        raw = YAML(typ="safe", pure=True).load(text)
    except Exception as exc:
        problems.append(
            Problem(
                source, f"not valid YAML: {' '.join(str(exc).split())[:200]}", kind="invalid_config"
            )
        )
        return None
    return raw.get("executor") if isinstance(raw, dict) else None


def load_settings(
    root: Path, *, user_dir: Path | None = None
) -> tuple[ExecutorSettings, list[Problem]]:
    """Read `executor:` from the repository's kiro-config.yaml and from the user's config.yaml
    separately (Config.executor holds only the winning mapping, but the repository may not
    raise the user's budget ceilings nor allow dangerous flags), then `parse_settings`."""
    from kiro_tui.core.config import user_config_dir

    problems: list[Problem] = []
    user_path = (user_dir or user_config_dir()) / "config.yaml"
    repo = _executor_mapping(root / REPO_SOURCE, REPO_SOURCE, problems)
    user = _executor_mapping(user_path, str(user_path), problems)
    s, more = parse_settings(repo, user, user_source=str(user_path))
    return s, problems + more
