"""Every key of the dashboard, in one place: the main screen's BINDINGS, the help screen and the
command palette are all made from `GROUPS`. Each binding has an `id` (users remap it with
`keymap:` in their config), a short description (the footer) and a tooltip (help and palette).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class KeyGroup:
    title: str
    bindings: tuple[Binding, ...]


GROUPS: tuple[KeyGroup, ...] = (
    KeyGroup(
        "Gates and sessions",
        (
            Binding(
                "a",
                "approve",
                "Approve",
                id="kiro.approve",
                tooltip="approve the phase waiting for approval under the selection",
            ),
            Binding(
                "x", "reject", "Reject", id="kiro.reject", tooltip="send it back, with a reason"
            ),
            Binding(
                "n",
                "next",
                "Next for you",
                id="kiro.next",
                tooltip="jump to what needs you next (inbox order: critical, then gates)",
            ),
            Binding(
                "i",
                "inbox",
                "Inbox",
                id="kiro.inbox",
                tooltip="the inbox: everything that waits on you, with its age",
            ),
            Binding(
                "p",
                "pause",
                "Pause/resume",
                id="kiro.pause",
                tooltip="pause the selected milestone's session, or resume it",
            ),
            Binding(
                "s",
                "start",
                "Start",
                id="kiro.start",
                tooltip="start a session on the selected milestone, driven from this window",
            ),
        ),
    ),
    KeyGroup(
        "Agents",
        (
            Binding(
                "r",
                "run_view",
                "Run",
                id="kiro.run_view",
                tooltip="the selection's agent run: live output, time, cost; stop, retry",
            ),
        ),
    ),
    KeyGroup(
        "Review",
        (
            Binding(
                "d",
                "diff",
                "Diff",
                id="kiro.diff",
                show=False,
                tooltip="diff of the phase's deliverables since its last decision",
            ),
            Binding(
                "o",
                "open",
                "Open",
                id="kiro.open",
                show=False,
                tooltip="open the phase's deliverable (or milestone file) in $EDITOR",
            ),
            Binding(
                "y",
                "copy",
                "Copy",
                id="kiro.copy",
                show=False,
                tooltip="copy the selected id, or the phase's folder (OSC 52)",
            ),
        ),
    ),
    KeyGroup(
        "Moving around",
        (
            Binding(
                "slash",
                "filter",
                "Filter",
                id="kiro.filter",
                tooltip="filter the tree (id, title, status), or the log when it has focus",
            ),
            Binding("f", "follow", "Follow", id="kiro.follow", tooltip="follow the log on or off"),
            Binding("l", "focus_log", "Log", id="kiro.focus_log", tooltip="focus the log"),
            Binding(
                "b",
                "focus_blockers",
                "Blockers",
                id="kiro.focus_blockers",
                tooltip="focus the blockers (Enter jumps to the task)",
            ),
            Binding(
                "t",
                "focus_tree",
                "Tree",
                id="kiro.focus_tree",
                show=False,
                tooltip="focus the tree",
            ),
        ),
    ),
    KeyGroup(
        "The app",
        (
            Binding("question_mark", "help", "Help", id="kiro.help", tooltip="every key"),
            Binding("q", "quit", "Quit", id="kiro.quit", tooltip="quit (stops driving cleanly)"),
        ),
    ),
)

# keys of lazygit/k9s habits inside each pane: bound on the panes themselves (each with its own
# action for "down", "top"...: see ui/pane_keys.py), so they act only where the focus is and
# never shadow the screen's keys; the help screen lists them after GROUPS
PANE = KeyGroup(
    "In the focused pane",
    (
        Binding(
            "j",
            "down",
            "Down",
            id="kiro.pane.down",
            show=False,
            tooltip="down in the focused pane (tree, blockers, log)",
        ),
        Binding("k", "up", "Up", id="kiro.pane.up", show=False, tooltip="up in the focused pane"),
        Binding(
            "g", "top", "Top", id="kiro.pane.top", show=False, tooltip="to the top of the pane"
        ),
        Binding(
            "G",
            "bottom",
            "Bottom",
            id="kiro.pane.bottom",
            show=False,
            tooltip="to the bottom of the pane",
        ),
        Binding(
            "escape",
            "clear_filter",
            "Clear the filter",
            id="kiro.pane.clear_filter",
            show=False,
            tooltip="clear the focused pane's filter",
        ),
    ),
)

# the app's keys (? and q) first: the footer shows bindings in this order and cuts the end at
# narrow widths, so help and quit stay on screen (help and palette keep GROUPS' order)
BINDINGS: list[BindingType] = [b for g in (*GROUPS[-1:], *GROUPS[:-1]) for b in g.bindings]

# commands only the palette offers (no key): (title, action, help)
PALETTE_ONLY: tuple[tuple[str, str, str], ...] = (
    (
        "Git: commits of the selected milestone",
        "git_commits",
        "message, sha, time and files of each commit with its Milestone trailer",
    ),
    ("Git: push now", "git_push", "push the current branch to the configured git.remote"),
    (
        "Agents: review and trust the executor settings",
        "trust",
        "every command, env variable and verify command the repository sets; confirm to "
        "trust them (like kiro-tui trust)",
    ),
)


def key_label(binding: Binding, keymap: dict[str, str] | None = None) -> str:
    """The key as the user presses it (after their keymap): `?`, `/`, `ctrl+p`."""
    from textual.keys import format_key

    keys = (keymap or {}).get(binding.id or "", binding.key)
    return ",".join(format_key(k.strip()) for k in keys.split(","))
