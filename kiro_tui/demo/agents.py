"""Real agent runs for `kiro-tui demo`: the stand-in agent (`fake_agent`) installed as
`claude` (and the other CLIs' names) in a temporary `bin/` put first on this process's PATH,
and the demo repository's `executor:` settings, so that the dashboard's executor runs it for
every phase in progress, stops at the gates and goes on after an approval.

The settings pass the agent its pacing (`env.pass: [FAKE_AGENT_*]`), which is execution-capable:
the demo trusts exactly these settings, which kiro-tui wrote itself (`trust`), and forgets that
trust when the demo ends (`untrust`). Nothing here runs at import time."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kiro_tui.demo import fake_agent

SETTINGS = """
executor:
  agent: claude
  concurrency: 2
  timeouts: {idle: 120, after_result: 10}
  stop: {interrupt: 2, terminate: 2}
  env:
    pass: [FAKE_AGENT_*]
"""


@dataclass
class DemoAgents:
    root: Path
    bin_dir: Path
    saved_env: dict[str, str | None]


def enable(root: Path, interval: float = 2.5) -> DemoAgents:
    """Install the agent, write the settings, trust them, set PATH and the agent's pacing
    (each phase takes about `interval` x 3 seconds)."""
    from kiro_tui.core.runs import trust
    from kiro_tui.core.runs.settings_parse import load_settings

    cfg = root / ".milestones" / "config" / "kiro-config.yaml"
    text = cfg.read_text(encoding="utf-8")
    if "\nexecutor:" not in text:
        cfg.write_text(text.rstrip("\n") + "\n" + SETTINGS, encoding="utf-8")
    bin_dir = fake_agent.install(Path(tempfile.mkdtemp(prefix="kiro-demo-bin-")))
    pacing = {
        "FAKE_AGENT_SCENARIO": "slow",
        "FAKE_AGENT_SLOW_LINES": "6",
        "FAKE_AGENT_SLOW_INTERVAL": str(max(0.05, interval / 2)),
    }
    env = {  # FAKE_AGENT_* already set (a benchmark's scenario) are kept
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        **{k: os.environ.get(k) or v for k, v in pacing.items()},
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    settings, _problems = load_settings(root)
    trust.trust(root, settings, by="kiro-tui demo")
    return DemoAgents(root, bin_dir, saved)


def disable(d: DemoAgents) -> None:
    """Forget the demo's trust, restore the environment, remove the agent's `bin/`."""
    from kiro_tui.core.runs import trust

    trust.untrust(d.root)
    for k, v in d.saved_env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    shutil.rmtree(d.bin_dir, ignore_errors=True)
