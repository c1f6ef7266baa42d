"""The environment an agent gets: a small base allow-list, plus what the settings pass, minus
what they drop, plus the run's KIRO_* variables."""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping

from kiro_tui.core.runs.prompt import deliverable_paths
from kiro_tui.core.runs.request import RunContext, RunRequest

BASE_ENV = (
    "PATH",
    "HOME",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "TERM",
    "USER",
    "LOGNAME",
    "SHELL",
    "TMPDIR",
    "TZ",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_CACHE_HOME",
    "XDG_RUNTIME_DIR",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)


def scrub_env(
    environ: Mapping[str, str],
    pass_: tuple[str, ...],
    drop: tuple[str, ...],
    extra: Mapping[str, str],
) -> dict[str, str]:
    """A small base allow-list, plus the names or patterns in `pass_`, minus `drop`, plus
    `extra` (the KIRO_* variables of the run)."""
    out: dict[str, str] = {}
    patterns = tuple(pass_)
    for k, v in environ.items():
        if k in BASE_ENV or any(fnmatch.fnmatchcase(k, p) for p in patterns):
            out[k] = v
    for k in list(out):
        if any(fnmatch.fnmatchcase(k, p) for p in drop):
            del out[k]
    out.update(extra)
    return out


def run_env(
    ctx: RunContext, req: RunRequest, run_id: str, preset_pass: tuple[str, ...]
) -> dict[str, str]:
    """The environment of one run's agent (and of its verify commands): the driver's scrubbed
    by the settings and the preset, plus KIRO_RUN_ID, KIRO_MILESTONE_ID, KIRO_TASK_ID,
    KIRO_PHASE, KIRO_DELIVERABLES (a JSON list of paths) and KIRO_ROOT."""
    s = ctx.settings
    extra = {
        "KIRO_RUN_ID": run_id,
        "KIRO_MILESTONE_ID": req.milestone.id,
        "KIRO_TASK_ID": req.task.id,
        "KIRO_PHASE": req.phase,
        "KIRO_DELIVERABLES": json.dumps(deliverable_paths(req.task, req.phase)),
        "KIRO_ROOT": str(ctx.root),
    }
    return scrub_env(ctx.environ, (*preset_pass, *s.env.pass_), s.env.drop, extra)
