"""APScheduler wiring: one sweep job with an explicit id; the outbox stays the schedule of record."""

import datetime as dt

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot import scheduler


def test_the_clock_has_one_sweep_job_every_15_to_30_seconds(coachbot):
    clock = BackgroundScheduler(timezone=dt.UTC)
    clock.start(paused=True)  # started, so jobs go to the job store; paused, so nothing runs
    try:
        scheduler.install_jobs(clock, coachbot.runtime)
        scheduler.install_jobs(clock, coachbot.runtime)  # re-adding replaces, never duplicates
        [job] = clock.get_jobs()
    finally:
        clock.shutdown(wait=False)
    assert job.id == scheduler.SWEEP_JOB
    assert isinstance(job.trigger, IntervalTrigger)
    assert 15 <= job.trigger.interval.total_seconds() <= 30
    assert job.max_instances == 1 and job.coalesce


def test_the_sweep_job_delivers_what_is_due_and_survives_a_failing_sweep(coachbot, monkeypatch):
    coachbot.slash("/call", "Acme BV no-answer")
    coachbot.clock.advance(days=1)
    scheduler._sweep_job(coachbot.runtime)
    assert len(coachbot.dms()) == 1

    def broken(now=None, limit=200):
        raise RuntimeError("database went away")

    monkeypatch.setattr(coachbot.runtime.sweeper, "sweep", broken)
    scheduler._sweep_job(coachbot.runtime)  # logged, not raised: the clock keeps ticking
