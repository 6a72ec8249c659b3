"""Bench hooks for `make bench`: the chaser over many due orders, and one PDF.

bench_chaser(n=100_000, institution_ids=…, department=…, inspector=…) bulk-inserts n served orders whose
deadline was yesterday (one open item each, no audit rows), runs one chase and reports orders/second and
peak memory (tracemalloc, Python allocations) — constant in n because the chaser reads in id batches.
bench_pdf(runs=5) renders one rectification order PDF `runs` times: median seconds and size in bytes.
"""

import datetime
import statistics
import time
import tracemalloc

from django.db import transaction
from django.utils import timezone

from .models import ItemStatus, OrderItem, OrderStatus, RectificationOrder


def seed_due_orders(
    *, n: int, institution_ids: list[int], department, inspector, batch_size: int = 5000
) -> int:
    today = timezone.localdate()
    now = timezone.now()
    year = today.year
    start = (
        RectificationOrder.objects.filter(department=department, year=year)
        .order_by("-serial")
        .values_list("serial", flat=True)
        .first()
        or 0
    ) + 1_000_000
    made = 0
    while made < n:
        size = min(batch_size, n - made)
        with transaction.atomic():
            orders = RectificationOrder.objects.bulk_create(
                [
                    RectificationOrder(
                        institution_id=institution_ids[(made + i) % len(institution_ids)],
                        department=department,
                        drafted_by=inspector,
                        status=OrderStatus.SERVED,
                        deadline=today - datetime.timedelta(days=1),
                        year=year,
                        serial=start + made + i,
                        number=f"BENCH〔{year}〕整改第{start + made + i}号",
                        approved_at=now,
                        served_at=now,
                    )
                    for i in range(size)
                ]
            )
            OrderItem.objects.bulk_create(
                [
                    OrderItem(
                        order=order,
                        position=1,
                        text="未公示收费标准",
                        legal_basis="《价格法》第十三条",
                        status=ItemStatus.OPEN,
                    )
                    for order in orders
                ]
            )
        made += size
    return made


def bench_chaser(*, n: int, institution_ids: list[int], department, inspector) -> dict:
    from .chaser import chase_deadlines

    seed_due_orders(n=n, institution_ids=institution_ids, department=department, inspector=inspector)
    tracemalloc.start()
    started = time.perf_counter()
    stats = chase_deadlines(now=timezone.now())
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    overdue = stats.get("orders_overdue", 0)
    return {
        "orders": n,
        "overdue": overdue,
        "seconds": round(seconds, 1),
        "orders_per_second": round(overdue / seconds, 1) if seconds else None,
        "peak_python_mb": round(peak / 2**20, 1),
    }


def bench_pdf(*, order_id: int, runs: int = 5) -> dict:
    from .pdf import render_document

    order = RectificationOrder.objects.select_related("institution", "department").get(pk=order_id)
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        size = len(render_document("order", order, verify_url="http://127.0.0.1:8000/verify/bench/"))
        times.append(time.perf_counter() - started)
    return {"median_seconds": round(statistics.median(times), 3), "bytes": size, "runs": runs}
