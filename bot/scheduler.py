"""APScheduler wiring: the clock that sweeps the outbox.

The outbox, not APScheduler's job store, is the schedule of record: APScheduler 3 cannot share a job store
between processes, and a nudge must survive restarts. The scheduler only decides *when* to sweep.
"""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot import metrics
from bot.outbox.sweep import SweepReport
from bot.runtime import Runtime

log = logging.getLogger(__name__)

SWEEP_JOB = "sweep-outbox"
SWEEP_SECONDS = 20
CRM_JOB = "sync-crm"
CRM_SECONDS = 300  # calls logged in HubSpot reach the coach within about five minutes


def run_due(runtime: Runtime, now: dt.datetime | None = None) -> SweepReport:
    """One pass of everything due at `now` (default: the clock): the outbox swept, then the clock's own work ahead.

    The sweep comes first: a fold catching up on a large history (passes of up to `PASS_CALLS` calls a season, seconds
    each) must not hold back the nudges due now. A post swept before its season is folded counts the rest from the
    activities, exactly; so does a digest composed before its week's parts are prepared.
    """
    report = runtime.sweeper.sweep(now)
    metrics.count_sweep(report)
    if report.sent or report.deferred or report.retried or report.failed or report.cancelled:
        log.info("sweep: %s", report)
    after = now or runtime.clock()  # the fold and the digests' preparation see the same moment
    _fold(runtime, after)
    _prepare_digests(runtime, after)
    return report


def _fold(runtime: Runtime, now: dt.datetime) -> None:
    """Fold the calls since the last pass into the channel posts' figures (bot.storage.persistence), off `/call`."""
    from bot.storage import persistence

    try:
        persistence.fold(runtime.db, now)
    except Exception:  # posts count from the activities meanwhile; the sweep must go on
        log.exception("folding the posts' figures failed")


def _prepare_digests(runtime: Runtime, now: dt.datetime) -> None:
    """Count each rep's part of the managers' digests once their week has closed (bot.usecases.digest), off the send."""
    from bot.usecases.digest import prepare_digests

    try:
        prepare_digests(runtime.db, now)
    except Exception:  # a digest counts from the activities meanwhile; the sweep must go on
        log.exception("preparing the digests failed")


def _sweep_job(runtime: Runtime) -> None:
    try:
        run_due(runtime)
    except Exception:  # the next run tries again; one bad sweep must not stop the clock
        log.exception("outbox sweep failed")


def _crm_job(runtime: Runtime) -> None:
    from bot.usecases import crm

    try:
        for team_id, report in crm.sync_all(runtime).items():
            if report.seen or report.removed or report.stopped:
                log.info("HubSpot sync %s: %s", team_id, report)
    except Exception:  # the next run resumes from the stored cursor
        log.exception("HubSpot sync failed")


def install_jobs(scheduler: BaseScheduler, runtime: Runtime) -> None:
    """Add the bot's jobs with explicit ids (re-adding replaces, never duplicates)."""
    jobs = [(_sweep_job, SWEEP_SECONDS, SWEEP_JOB, "deliver due nudges")]
    if runtime.crm.enabled:
        jobs.insert(0, (_crm_job, CRM_SECONDS, CRM_JOB, "pull calls from HubSpot"))
    for job, seconds, job_id, name in jobs:
        scheduler.add_job(
            job,
            IntervalTrigger(seconds=seconds),
            args=[runtime],
            id=job_id,
            name=name,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            next_run_time=dt.datetime.now(dt.UTC),
        )


def background(runtime: Runtime) -> BackgroundScheduler:
    """A started scheduler in a thread of this process (`salescoach run`, `salescoach clock`)."""
    scheduler = BackgroundScheduler(timezone=dt.UTC)
    install_jobs(scheduler, runtime)
    scheduler.start()
    return scheduler
