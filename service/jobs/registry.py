"""The scheduled jobs: what each does, when (cron in the county's time zone), and its work.

Each job's work lives in its domain's service; these functions only adapt a `JobContext`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from apscheduler.triggers.cron import CronTrigger

from service.db import transaction
from service.jobs.service import BUSINESS_TZ, JobContext, Work, mark_dead, prune


def _revalue(ctx: JobContext) -> dict[str, Any]:
    from service.valuations.service import run_portfolio_valuation, start_run

    run_id = ctx.params.get("valuation_run_id")  # made by POST /valuations/run, which answers it
    if run_id is None:
        as_of = ctx.params.get("as_of") or ctx.today  # POST /jobs/revalue/runs may name the date
        with transaction(ctx.engine) as session:
            run_id = start_run(session, as_of, ctx.params.get("requested_by", "scheduler"), ctx.run_id).id
    done = 0

    def progress(step: int) -> None:
        nonlocal done
        done += step
        ctx.progress(done, None)

    return {"valuation_run_id": run_id, **run_portfolio_valuation(ctx.engine, run_id, progress=progress)}


def _whitelist_expiry(ctx: JobContext) -> dict[str, Any]:
    from service.whitelist.service import expire_entries

    with transaction(ctx.engine) as session:
        per_bank = expire_entries(session, ctx.now)
    return {"expired": sum(per_bank.values()), "banks": len(per_bank)}


def _fee_monitoring(ctx: JobContext) -> dict[str, Any]:
    from service.alerts.service import monitor_fees

    with transaction(ctx.engine) as session:
        return monitor_fees(session, ctx.today, ctx.now, ctx.settings.fee_alert_days)


def _pledge_maturity(ctx: JobContext) -> dict[str, Any]:
    from service.pledges.service import release_matured

    with transaction(ctx.engine) as session:
        released = release_matured(session, ctx.today)
    return {"released": len(released)}


def _target_snapshots(ctx: JobContext) -> dict[str, Any]:
    from service.targets.service import snapshot_targets

    with transaction(ctx.engine) as session:
        return {"snapshots": snapshot_targets(session, ctx.today)}


def _webhook_delivery(ctx: JobContext) -> dict[str, Any]:
    from service.notifications.service import deliver_due

    with httpx.Client(follow_redirects=False) as client:
        return deliver_due(ctx.engine, ctx.now, client=client, allow_loopback=ctx.settings.webhook_allow_loopback)


def _housekeeping(ctx: JobContext) -> dict[str, Any]:
    from service.whitelist.idempotency import purge_expired

    dead = mark_dead(ctx.engine, now=ctx.now)
    with transaction(ctx.engine) as session:
        keys = purge_expired(session, ctx.now)
        runs = prune(session, older_than=ctx.now - timedelta(days=7), jobs=("webhook-delivery",))
    return {"dead_runs_failed": dead, "idempotency_keys_purged": keys, "runs_pruned": runs}


@dataclass(frozen=True)
class Job:
    name: str
    description: str  # zh-CN, shown to staff
    cron: dict[str, str]  # CronTrigger fields, Asia/Shanghai
    work: Work
    catch_up: bool = True  # run a missed slot at start-up

    @property
    def schedule(self) -> str:
        return " ".join(f"{field}={value}" for field, value in self.cron.items())

    def trigger(self) -> CronTrigger:
        return CronTrigger(timezone=BUSINESS_TZ, **self.cron)


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job("revalue", "每晚按当日重估全部专利", {"hour": "2", "minute": "0"}, _revalue),
        Job("whitelist-expiry", "关闭超过有效期仍无结果的白名单条目", {"minute": "5"}, _whitelist_expiry),
        Job(
            "fee-monitoring",
            "监测质押及白名单专利年费（到期、滞纳、失效）并预警",
            {"hour": "7", "minute": "0"},
            _fee_monitoring,
        ),
        Job("pledge-maturity", "贷款到期的质押登记解除质押", {"hour": "0", "minute": "30"}, _pledge_maturity),
        Job(
            "target-snapshots",
            "每周保存各目标进度快照",
            {"day_of_week": "mon", "hour": "6", "minute": "0"},
            _target_snapshots,
        ),
        # Every minute; a missed minute needs no catch-up: the next run sends everything due.
        Job(
            "webhook-delivery",
            "向银行发送签名通知（失败按退避重试）",
            {"minute": "*"},
            _webhook_delivery,
            catch_up=False,
        ),
        Job("housekeeping", "清理过期幂等键和旧运行记录，标记中断的运行", {"minute": "35"}, _housekeeping),
    )
}
