"""Built-in agent presets as data, the argv a run executes, and dangerous-flag detection.

Every command is an argv list, never a shell string. The prompt reaches the agent as stdin opened
from `prompt.md` (or, for aider, as `--message-file prompt.md`).
"""

from __future__ import annotations

from dataclasses import dataclass

from kiro_tui.core.runs.settings import CustomPreset, ExecutorSettings

CLAUDE_TOOLS = ("Read", "Write", "Edit", "MultiEdit", "Glob", "Grep", "LS", "TodoWrite")
CLAUDE_EXECUTE_TOOLS = (*CLAUDE_TOOLS, "Bash")
PROMPT_FILE = "{prompt_file}"
SESSION = "{session_id}"


@dataclass(frozen=True, slots=True)
class Preset:
    """How to run one agent CLI headless.

    `argv` is the command; `resume_argv` replaces it on resume (with `{session_id}`) or is empty
    when the CLI cannot resume; `turns_flag`/`budget_flag` pass the limits where the CLI has
    them; `env_pass` are the variables the CLI needs (API keys, its config folder).
    """

    name: str
    argv: tuple[str, ...]
    dialect: str
    resume_argv: tuple[str, ...] = ()
    prompt: str = "stdin"  # stdin | message-file
    turns_flag: str | None = None
    budget_flag: str | None = None
    tools_flag: str | None = None
    env_pass: tuple[str, ...] = ()
    builtin: bool = True
    exit_meaningful: bool = True  # aider: its exit code means nothing

    @property
    def can_resume(self) -> bool:
        return bool(self.resume_argv)


BUILTIN: dict[str, Preset] = {
    "claude": Preset(
        "claude",
        (
            "claude",
            "-p",
            "--output-format",
            "stream-json",
            "--verbose",
            "--permission-mode",
            "acceptEdits",
        ),
        "claude",
        resume_argv=(
            "claude",
            "-p",
            "--output-format",
            "stream-json",
            "--verbose",
            "--permission-mode",
            "acceptEdits",
            "--resume",
            SESSION,
        ),
        turns_flag="--max-turns",
        budget_flag="--max-budget-usd",
        tools_flag="--allowedTools",
        env_pass=(
            "ANTHROPIC_*",
            "CLAUDE_CONFIG_DIR",
            "CLAUDE_CODE_USE_BEDROCK",
            "CLAUDE_CODE_USE_VERTEX",
            "AWS_*",
            "CLOUD_ML_REGION",
            "GOOGLE_*",
        ),
    ),
    "codex": Preset(
        "codex",
        ("codex", "exec", "--json", "--sandbox", "workspace-write", "-"),
        "codex",
        resume_argv=(
            "codex",
            "exec",
            "--json",
            "--sandbox",
            "workspace-write",
            "resume",
            SESSION,
            "-",
        ),
        env_pass=("OPENAI_*", "CODEX_HOME"),
    ),
    "gemini": Preset(
        "gemini",
        (
            "gemini",
            "--output-format",
            "stream-json",
            "--approval-mode",
            "auto_edit",
            "-p",
            "Follow the instructions given on standard input.",
        ),
        "gemini",
        resume_argv=(
            "gemini",
            "--output-format",
            "stream-json",
            "--approval-mode",
            "auto_edit",
            "--resume",
            SESSION,
            "-p",
            "Follow the instructions given on standard input.",
        ),
        env_pass=("GEMINI_*", "GOOGLE_*"),
    ),
    "opencode": Preset(
        "opencode",
        ("opencode", "run", "--format", "json"),
        "opencode",
        resume_argv=("opencode", "run", "--format", "json", "--session", SESSION),
        env_pass=("OPENAI_*", "ANTHROPIC_*", "OPENROUTER_*", "GEMINI_*", "OPENCODE_*"),
    ),
    "aider": Preset(
        "aider",
        (
            "aider",
            "--message-file",
            PROMPT_FILE,
            "--yes-always",
            "--no-auto-commits",
            "--no-dirty-commits",
        ),
        "text",
        prompt="message-file",
        exit_meaningful=False,
        env_pass=("OPENAI_*", "ANTHROPIC_*", "AIDER_*", "OPENROUTER_*", "GEMINI_*"),
    ),
    # any argv of your own; `presets.<name>` in the settings names one
    "command": Preset("command", (), "text"),
}

# flags that switch an agent's own permission checks or sandbox off
_DANGEROUS_TOKENS = (
    "--dangerously-skip-permissions",
    "--dangerously-bypass-approvals-and-sandbox",
    "--yolo",
    "bypassPermissions",
    "danger-full-access",
    "--allow-dangerously-skip-permissions",
)
_DANGEROUS_PAIRS = (
    ("--approval-mode", "yolo"),
    ("--permission-mode", "bypassPermissions"),
    ("--sandbox", "danger-full-access"),
    ("-s", "danger-full-access"),
)


def dangerous_flags(argv: tuple[str, ...] | list[str]) -> list[str]:
    """The flags in `argv` that switch the agent's permission checks or sandbox off."""
    found: list[str] = []
    prog = argv[0].rsplit("/", 1)[-1] if argv else ""
    for i, tok in enumerate(argv):
        if any(d in tok for d in _DANGEROUS_TOKENS):
            found.append(tok)
            continue
        nxt = argv[i + 1] if i + 1 < len(argv) else ""
        if (tok, nxt) in _DANGEROUS_PAIRS:
            found.append(f"{tok} {nxt}")
        elif (prog, tok) in (("gemini", "-y"), ("opencode", "--auto")):
            found.append(tok)
    return list(dict.fromkeys(found))


class PresetError(Exception):
    """A preset that cannot be used: unknown, empty, or dangerous without the user's consent."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # unknown_preset | dangerous_flags | no_resume
        self.message = message


def from_custom(c: CustomPreset) -> Preset:
    resume = (*c.argv, *c.resume) if c.resume else ()
    return Preset(
        c.name,
        c.argv,
        c.dialect,
        resume_argv=resume,
        prompt=c.prompt,
        env_pass=c.env_pass,
        builtin=False,
    )


def lookup(name: str, settings: ExecutorSettings) -> Preset:
    """The preset called `name`: a custom one from the settings first, then a built-in."""
    custom = settings.preset(name)
    if custom is not None:
        return from_custom(custom)
    if name in BUILTIN and BUILTIN[name].argv:
        return BUILTIN[name]
    if name == "command":
        raise PresetError(
            "unknown_preset",
            "preset 'command' needs an argv: define it under "
            "executor.presets.<name> and select that name",
        )
    raise PresetError("unknown_preset", f"unknown agent preset {name!r}")


@dataclass(frozen=True, slots=True)
class Invocation:
    argv: tuple[str, ...]
    preset: Preset
    resumed: bool  # the argv resumes an agent session
    stdin_prompt: bool  # stdin is opened from the prompt file (else /dev/null)


def build_argv(
    preset: Preset,
    settings: ExecutorSettings,
    phase: str,
    prompt_file: str,
    *,
    session_id: str | None = None,
    budget_usd: float | None = None,
) -> Invocation:
    """The argv for one run. With `session_id` and a preset that can resume, the resume form.
    Refuses (PresetError) dangerous flags unless the user allowed them."""
    ps = settings.phase(phase)
    resumed = bool(session_id and preset.can_resume)
    base = preset.resume_argv if resumed else preset.argv
    argv = [
        prompt_file if a == PROMPT_FILE else (session_id or "") if a == SESSION else a for a in base
    ]
    # the options go before a trailing "-" (stdin marker) so that CLIs parse them as flags
    tail: list[str] = []
    if argv and argv[-1] == "-":
        tail = [argv.pop()]
    if preset.tools_flag:
        tools = ps.allowed_tools
        if tools is None:
            tools = CLAUDE_EXECUTE_TOOLS if phase == "execute" else CLAUDE_TOOLS
        if tools:
            argv += [preset.tools_flag, " ".join(tools)]
    if preset.turns_flag and ps.max_turns:
        argv += [preset.turns_flag, str(ps.max_turns)]
    if preset.budget_flag and budget_usd is not None and budget_usd > 0:
        argv += [preset.budget_flag, f"{budget_usd:.2f}"]
    argv += tail
    bad = dangerous_flags(argv)
    if bad and not settings.allow_dangerous:
        raise PresetError(
            "dangerous_flags",
            f"preset {preset.name!r} uses {', '.join(bad)}: "
            "refused unless allow_dangerous: true is set in your user config",
        )
    return Invocation(tuple(argv), preset, resumed, preset.prompt == "stdin")
