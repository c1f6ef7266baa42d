"""The retry policy: which ended runs are tried again and after how long. Only transient
failures (rate limit, overload, network: outcome `retryable`) are retried, up to
`retries.count` times with exponential backoff and jitter, and a run that ended without a
terminal event gets one retry; a retry resumes the agent's session when its id is known."""

from __future__ import annotations

import random
from dataclasses import replace

from kiro_tui.core.runs.notices import Outcome
from kiro_tui.core.runs.request import RunRequest
from kiro_tui.core.runs.settings import Retries


class RetryPolicy:
    def __init__(self, retries: Retries, rng: random.Random | None = None) -> None:
        self._retries = retries
        self._rng = rng or random.Random()

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number `attempt + 1`."""
        r = self._retries
        delay = min(r.max_backoff, r.backoff * (2**attempt))
        return delay * (1.0 + r.jitter * self._rng.random())

    def retry(self, req: RunRequest, out: Outcome) -> tuple[RunRequest, float] | None:
        """The request of the retry of run `out` (asked as `req`) and its delay, or None."""
        resume = out.run_id if out.session_id else req.resume_of
        if out.kind == "retryable" and req.retries < self._retries.count:
            delay = self.backoff(req.retries)
            nxt = replace(req, retries=req.retries + 1, retry_of=out.run_id, resume_of=resume)
            return nxt, delay
        if out.kind == "no_result" and not req.no_result_retried:
            nxt = replace(
                req,
                retries=req.retries + 1,
                retry_of=out.run_id,
                resume_of=resume,
                no_result_retried=True,
            )
            return nxt, 0.0
        return None
