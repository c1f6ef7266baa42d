"""New milestones and kiro tasks in the canonical form, with the deliverables of their kind."""

from __future__ import annotations

from typing import Any

from kiro_tui.core.config import Config
from kiro_tui.core.ids import PHASES

TASK_DELIVERABLES = [
    "implementation_tasks.md",
    "story_breakdown.md",
    "dependency_map.md",
    "risk_assessment.md",
]
DELIVERABLES: dict[str, dict[str, list[str]]] = {
    "feature": {
        "design": [
            "architecture_diagram.md",
            "api_specification.yaml",
            "data_model.md",
            "security_design.md",
        ],
        "spec": [
            "technical_specification.md",
            "test_plan.md",
            "acceptance_criteria.md",
            "rollout_plan.md",
        ],
        "execute": [
            "implementation_code",
            "unit_tests",
            "integration_tests",
            "documentation",
            "deployment_config",
        ],
    },
    "bugfix": {
        "design": ["root_cause_analysis.md", "fix_approach.md", "regression_prevention.md"],
        "spec": ["fix_specification.md", "test_scenarios.md", "validation_plan.md"],
        "execute": [
            "fix_implementation",
            "regression_tests",
            "validation_results",
            "monitoring_updates",
        ],
    },
    "api": {
        "design": [
            "api_design.yaml",
            "endpoint_specification.md",
            "authentication_flow.md",
            "rate_limiting.md",
        ],
        "spec": [
            "openapi_spec.yaml",
            "integration_tests.md",
            "performance_criteria.md",
            "monitoring_plan.md",
        ],
        "execute": [
            "api_implementation",
            "api_tests",
            "api_documentation",
            "postman_collection",
            "performance_results",
        ],
    },
    "frontend": {
        "design": [
            "ui_mockups.md",
            "component_hierarchy.md",
            "state_management.md",
            "accessibility_plan.md",
        ],
        "spec": [
            "component_specs.md",
            "interaction_flows.md",
            "responsive_design.md",
            "browser_support.md",
        ],
        "execute": [
            "component_implementation",
            "ui_tests",
            "accessibility_tests",
            "storybook_stories",
            "performance_metrics",
        ],
    },
    "other": {
        "design": ["design_document.md", "technical_approach.md", "integration_plan.md"],
        "spec": ["technical_spec.md", "test_strategy.md", "success_metrics.md"],
        "execute": ["implementation", "tests", "documentation", "deployment_ready"],
    },
}
DESCRIPTIONS = {
    "design": "Architecture design and system planning",
    "spec": "Detailed technical specification",
    "task": "Task breakdown and planning",
    "execute": "Implementation and testing",
}
CRITERIA = {
    "design": [
        "Architecture documented and reviewed",
        "API contracts defined",
        "System boundaries established",
    ],
    "spec": [
        "Technical specifications complete",
        "Test plans documented",
        "Acceptance criteria defined",
    ],
    "task": ["Implementation tasks defined", "Story points estimated", "Dependencies mapped"],
    "execute": ["Code implemented and tested", "Documentation updated", "Deployment ready"],
}


def deliverables_for(kind: str, phase: str) -> list[str]:
    if phase == "task":
        return list(TASK_DELIVERABLES)
    return list(DELIVERABLES.get(kind, DELIVERABLES["other"])[phase])


def kiro_workflow(
    kind: str,
    hours: float,
    config: Config,
    weights: dict[str, float] | None = None,
    gates: dict[str, bool] | None = None,
) -> Any:
    """A new `kiro_workflow` block (round-trip types, flow-style lists like the seed writes).

    `weights` and `gates` are the milestone's (FORMAT.md sections 4 and 7); without them the
    configuration's apply.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    w = weights or config.weights
    total = sum(w[p] for p in PHASES)
    phases = CommentedMap()
    for p in PHASES:
        dels = CommentedSeq(deliverables_for(kind, p))
        dels.fa.set_flow_style()
        ph = CommentedMap()
        ph["status"] = "pending"
        ph["description"] = DESCRIPTIONS[p]
        ph["estimated_hours"] = round(hours * w[p] / total, 2)
        ph["actual_hours"] = 0
        ph["started_at"] = None
        ph["completed_at"] = None
        ph["approved_at"] = None
        ph["approval_required"] = gates[p] if gates and p in gates else config.gate_default(p)
        ph["deliverables"] = dels
        ph["acceptance_criteria"] = CommentedSeq(CRITERIA[p])
        phases[p] = ph
    kw = CommentedMap()
    kw["enabled"] = True
    kw["current_phase"] = "design"
    kw["phases"] = phases
    return kw


def new_task(
    task_id: str,
    title: str,
    kind: str,
    depends_on: list[str],
    config: Config,
    now: str,
    hours: float = 8,
    weights: dict[str, float] | None = None,
    gates: dict[str, bool] | None = None,
) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    deps = CommentedSeq(depends_on)
    deps.fa.set_flow_style()
    t = CommentedMap()
    t["id"] = task_id
    t["title"] = title
    t["kind"] = kind
    t["estimated_hours"] = hours
    t["status"] = "pending"
    t["created_at"] = now
    t["dependencies"] = deps
    t["kiro_workflow"] = kiro_workflow(kind, hours, config, weights, gates)
    return t


def new_milestone(
    mid: str, title: str, requires: list[str], now: str, description: str | None = None
) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    req = CommentedSeq(requires)
    req.fa.set_flow_style()
    m = CommentedMap()
    m["id"] = mid
    m["title"] = title
    m["description"] = description or title
    m["status"] = "planned"
    m["created_at"] = now
    m["priority"] = "medium"
    deps = CommentedMap()
    deps["requires"] = req
    m["dependencies"] = deps
    prog = CommentedMap()
    prog["percentage"] = 0
    prog["tasks_completed"] = 0
    prog["total_tasks"] = 0
    prog["last_update"] = now
    m["progress"] = prog
    m["tasks"] = CommentedSeq()
    return m


STARTER = """{marker}
# {title}

Deliverable `{name}` of the {phase} phase of task `{task_id}`.
Replace this file with the real content; the phase cannot complete while this marker line remains.
"""


def starter_text(name: str, task_id: str, phase: str) -> str | None:
    """Text for a starter file, or None for names that are folders or unknown file types."""
    from kiro_tui.core.deliverables import TEMPLATE_MARKER

    title = name.rsplit(".", 1)[0].replace("_", " ").capitalize()
    if name.endswith(".md"):
        return STARTER.format(
            marker=TEMPLATE_MARKER, title=title, name=name, phase=phase, task_id=task_id
        )
    if name.endswith((".yaml", ".yml")):
        body = STARTER.format(
            marker=TEMPLATE_MARKER, title=title, name=name, phase=phase, task_id=task_id
        )
        return "".join(f"# {line}\n" if line else "#\n" for line in body.splitlines())
    return None


CONFIG_TEMPLATE = """# kiro-tui repository configuration (every key: docs/format.md, "Repository settings", in the kiro-tui sources)
policy:
  mode: mandatory
  enforcement: progressive

phase_weights:
  design: 15
  spec: 25
  task: 20
  execute: 40

approval_gates:
  design_approval: true
  spec_approval: true
  task_approval: false
  execute_approval: false

thresholds:
  stalled_task: 300
  stalled_execution: 600
  approval_waiting: 86400
  takeover: 60

git:
  enabled: true
  branch: current
  push_every: 3
"""
