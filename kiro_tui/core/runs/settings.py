"""The `executor:` settings as typed, immutable values: `ExecutorSettings` and its parts, with
their defaults. `settings_parse` builds them from the repository's and the user's mappings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REPO_SOURCE = ".milestones/config/kiro-config.yaml"
USER_SOURCE = "~/.config/kiro-tui/config.yaml"
DIALECTS = ("claude", "codex", "gemini", "opencode", "text")
PROMPT_MODES = ("stdin", "message-file")
ALWAYS_DROP = ("CLAUDECODE",)


@dataclass(frozen=True, slots=True)
class VerifyCommand:
    argv: tuple[str, ...]
    timeout: float = 600.0


@dataclass(frozen=True, slots=True)
class PhaseSettings:
    agent: str | None = None
    timeout: float | None = None  # whole run, overrides timeouts.run
    max_turns: int | None = None
    verify: tuple[VerifyCommand, ...] = ()
    allowed_tools: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Timeouts:
    run: float | None = None
    idle: float = 900.0
    after_result: float = 20.0


@dataclass(frozen=True, slots=True)
class StopGrace:
    """Seconds given to the group after SIGINT, and after SIGTERM, before the next signal."""

    interrupt: float = 5.0
    terminate: float = 5.0


@dataclass(frozen=True, slots=True)
class Retries:
    count: int = 3
    backoff: float = 5.0  # seconds before the first retry; doubles each time
    jitter: float = 0.25  # fraction of the delay added at random
    max_backoff: float = 300.0


@dataclass(frozen=True, slots=True)
class EnvSettings:
    pass_: tuple[str, ...] = ()  # names or fnmatch patterns
    drop: tuple[str, ...] = ALWAYS_DROP


@dataclass(frozen=True, slots=True)
class PhaseBudget:
    usd: float | None = None
    tokens: int | None = None
    seconds: float | None = None
    runs: int | None = None


@dataclass(frozen=True, slots=True)
class MilestoneBudget:
    usd: float | None = None
    seconds: float | None = None


@dataclass(frozen=True, slots=True)
class Budget:
    phase: PhaseBudget = field(default_factory=PhaseBudget)
    milestone: MilestoneBudget = field(default_factory=MilestoneBudget)


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens, to turn token counts into a cost where the agent reports none."""

    input_per_mtok: float
    output_per_mtok: float


@dataclass(frozen=True, slots=True)
class CustomPreset:
    name: str
    argv: tuple[str, ...]
    dialect: str = "text"
    resume: tuple[str, ...] = ()  # appended on resume, "{session_id}" replaced
    prompt: str = "stdin"  # stdin | message-file (argv holds "{prompt_file}")
    env_pass: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PauseSettings:
    mode: str = "stop"  # stop | freeze
    freeze_max: float = 300.0


@dataclass(frozen=True, slots=True)
class ExecutorSettings:
    agent: str = "claude"
    phases: tuple[tuple[str, PhaseSettings], ...] = ()
    concurrency: int = 1
    cwd: str | None = None  # relative to the repository root; None is the root
    timeouts: Timeouts = field(default_factory=Timeouts)
    stop: StopGrace = field(default_factory=StopGrace)
    retries: Retries = field(default_factory=Retries)
    env: EnvSettings = field(default_factory=EnvSettings)
    budget: Budget = field(default_factory=Budget)
    presets: tuple[tuple[str, CustomPreset], ...] = ()
    pause: PauseSettings = field(default_factory=PauseSettings)
    allow_dangerous: bool = False  # from the user's config only
    prices: tuple[tuple[str, Price], ...] = ()  # by model or preset name
    # per-phase budgets (`phases.<phase>.budget`), each already the lower of user and repo
    phase_budgets: tuple[tuple[str, PhaseBudget], ...] = ()
    # the repository's execution-capable settings, canonical (what trust fingerprints)
    repo_capable: tuple[tuple[str, Any], ...] = ()

    def phase(self, name: str) -> PhaseSettings:
        for n, p in self.phases:
            if n == name:
                return p
        return PhaseSettings()

    def budget_for(self, phase: str) -> Budget:
        """The budget of a run of `phase`: its `phases.<phase>.budget` where one is set, else
        `budget.phase`; the milestone's budget in any case."""
        for n, b in self.phase_budgets:
            if n == phase:
                return Budget(phase=b, milestone=self.budget.milestone)
        return self.budget

    def price(self, *names: str | None) -> Price | None:
        """The price of the first of `names` (a model, then the preset) that has one."""
        table = dict(self.prices)
        for n in names:
            if n and n in table:
                return table[n]
        return None

    def agent_for(self, phase: str) -> str:
        return self.phase(phase).agent or self.agent

    def preset(self, name: str) -> CustomPreset | None:
        for n, p in self.presets:
            if n == name:
                return p
        return None

    @property
    def needs_trust(self) -> bool:
        return bool(self.repo_capable)

    def capable_dict(self) -> dict[str, Any]:
        return dict(self.repo_capable)
