"""Benchmark of the bank-statement import (issue 15): the whole import service against python-calamine reading the
same file, and the import's memory at two sizes.

`python -m bench.run --suite funds --institutions 0` (`make bench-funds`, or `make bench BENCH_ARGS="--suite funds"`),
on the bench database:

1. a realistic statement workbook (.xlsx, 齐鲁银行's columns: reference, date, credit, debit, balance, counterparty,
   memo; tuition receipts of varied amounts from parents, releases for lessons taught, refunds and transfers; dates
   advancing over the year; balances that reconcile) of --statement-rows rows (50,000), written once by openpyxl;
2. interleaved, --statement-runs times each (after one warm-up of each): **calamine** — `CalamineWorkbook` over the
   file's bytes and every row of its first sheet read (the floor: what any import must at least do) — and the
   **import** — `institutions.funds.services.statement_import` as the upload page calls it (read, check every row,
   COPY in chunks, one transaction, commit, audit event); after each import its rows are deleted again (not timed),
   so each run imports the whole file into an empty account. Medians and the ratio import / calamine (goal ≤ 5×);
3. memory at --memory-rows (10,000 and 50,000), each size and each side in a fresh process
   (`python -m bench.funds import|calamine FILE`), after one warm call: the Python heap's peak (tracemalloc) and the
   process's peak RSS growth (VmHWM reset through /proc/self/clear_refs), each over a call of its own. The import
   streams in chunks, so its Python peak must stay flat while the file grows.
"""

import datetime
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

BANK = {"bank": "齐鲁银行", "reference_column": "交易流水号", "date_column": "交易日期", "credit_column": "贷方发生额",
        "debit_column": "借方发生额", "balance_column": "账户余额", "counterparty_column": "对方户名",
        "memo_column": "摘要", "date_format": "%Y-%m-%d"}
HEADER = [BANK[key] for key in ("reference_column", "date_column", "credit_column", "debit_column", "balance_column",
                                "counterparty_column", "memo_column")]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["欣怡", "子涵", "浩然", "梓轩", "雨桐", "一诺", "宇航", "思彤", "俊熙", "诗涵", "博文", "佳怡"]


def statement_workbook(rows: int, *, seed: int = 15) -> bytes:
    """The .xlsx a bank exports: one sheet, a header row, `rows` transactions whose balances reconcile."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("账户明细")
    sheet.append(HEADER)
    balance = Decimal("20000.00")
    day = datetime.date(2025, 1, 2)
    per_day = max(rows // 300, 1)
    for n in range(rows):
        if n and n % per_day == 0:
            day += datetime.timedelta(days=1)
        draw = rng.random()
        if draw < 0.62:
            amount = Decimal(rng.choice((1200, 1800, 2400, 2980, 3600, 4500, 4800))) + Decimal(rng.randrange(0, 100))
            party = f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}家长"
            memo = rng.choice(("学费", "培训费", "春季班学费", "暑期班学费"))
        elif draw < 0.92 or balance < 5000:
            amount = -min(Decimal(rng.randrange(300, 2400)), balance - 1)
            party, memo = "济南启航教育科技有限公司结算户", rng.choice(("消课划拨", "课时费划拨"))
        elif draw < 0.97:
            amount = -min(Decimal(rng.choice((600, 1200, 1800))), balance - 1)
            party, memo = f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}家长", "退费"
        else:
            amount = -min(Decimal(rng.randrange(2000, 9000)), balance - 1)
            party, memo = "某物业管理有限公司", "房租"
        balance += amount
        credit = float(amount) if amount > 0 else None
        debit = float(-amount) if amount < 0 else None
        sheet.append([f"QL{day:%Y%m%d}{n:08d}", day.isoformat(), credit, debit, float(balance), party, memo])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def calamine_read(content: bytes) -> int:
    """The floor: python-calamine opens the workbook and reads every row of its first sheet."""
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    count = sum(1 for _row in workbook.get_sheet_by_index(0).iter_rows())
    workbook.close()
    return count


def fixtures():
    """A bench province, its education bureau, an institution with a supervised account, and an administrator
    (created once; the register's scale data is not needed)."""
    from django.contrib.auth.models import Group

    from institutions.funds.models import BankFormat, FundAccount
    from institutions.models import Category, Institution
    from regulator.models import Department, DepartmentKind, Region, RegionLevel, Role, User

    region, _ = Region.objects.get_or_create(code="99", defaults={"name": "基准测试省", "level": RegionLevel.PROVINCE})
    department = Department.objects.filter(kind=DepartmentKind.EDUCATION, region=region).first()
    if department is None:
        group, _ = Group.objects.get_or_create(name=f"dept:{DepartmentKind.EDUCATION}:{region.code}")
        department = Department.objects.create(kind=DepartmentKind.EDUCATION, region=region, name="基准测试教育厅",
                                               group=group)
    institution, _ = Institution.objects.get_or_create(
        name="流水导入基准机构", region=region, defaults={"address": "基准路1号", "category": Category.ACADEMIC})
    bank, _ = BankFormat.objects.get_or_create(bank=BANK["bank"], defaults=BANK)
    account, _ = FundAccount.objects.get_or_create(
        institution=institution, defaults={"bank_format": bank, "account_number": "6228480099000015",
                                           "opened_on": datetime.date(2024, 12, 1), "department": department})
    actor, created = User.objects.get_or_create(username="bench_funds_admin",
                                                defaults={"is_superuser": True, "role": Role.ADMIN})
    if created:
        actor.set_unusable_password()
        actor.save()
    return account, actor


def empty(account) -> None:
    from institutions.funds.models import FundTransaction, StatementImport

    FundTransaction.objects.filter(account=account).delete()
    StatementImport.objects.filter(account=account).delete()
    account.balance, account.balance_on = 0, None
    account.save(update_fields=["balance", "balance_on"])


def run_import(account, actor, content: bytes) -> int:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from institutions.funds.services import statement_import

    upload = SimpleUploadedFile("齐鲁银行流水.xlsx", content,
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return statement_import(actor=actor, account_id=account.pk, uploaded_file=upload).new_rows


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def memory(call) -> dict:
    """Python heap peak (tracemalloc) and peak RSS growth of one call, each in a call of its own."""
    call()  # warm: imports, caches, the connection
    tracemalloc.start()
    call()
    python_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = None
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        before = _rss_kb("VmRSS")
        call()
        rss = round((_rss_kb("VmHWM") - before) / 1024, 1)
    except OSError:
        pass
    return {"python_peak_mb": round(python_peak / 1024 / 1024, 1), "rss_growth_mb": rss}


def measure_memory(which: str, path: str) -> dict:
    """One measurement in a process of its own (`python -m bench.funds import|calamine FILE`), so that no earlier,
    larger run has grown its heap."""
    content = Path(path).read_bytes()
    if which == "calamine":
        return memory(lambda: calamine_read(content))
    account, actor = fixtures()
    empty(account)

    def one_import():
        run_import(account, actor, content)
        empty(account)

    return memory(one_import)


def run_suite(args) -> dict:
    from bench.run import timing

    rows, runs = args.statement_rows, args.statement_runs
    load_at_start = [round(load, 2) for load in os.getloadavg()]
    account, actor = fixtures()
    empty(account)
    started = time.perf_counter()
    content = statement_workbook(rows)
    generate_s = round(time.perf_counter() - started, 1)
    print(f"statement workbook: {rows:,} rows, {len(content) / 1024 / 1024:.1f} MB, written in {generate_s} s",
          flush=True)
    assert calamine_read(content) == rows + 1
    assert run_import(account, actor, content) == rows  # warm-up of both
    empty(account)
    calamine_ms, import_ms = [], []
    for run in range(runs):
        for which in (("calamine", "import") if run % 2 == 0 else ("import", "calamine")):
            started = time.perf_counter()
            if which == "calamine":
                calamine_read(content)
                calamine_ms.append((time.perf_counter() - started) * 1000)
            else:
                run_import(account, actor, content)
                import_ms.append((time.perf_counter() - started) * 1000)
                empty(account)
        print(f"  run {run + 1}: calamine {calamine_ms[-1]:.0f} ms, import {import_ms[-1]:.0f} ms", flush=True)
    calamine, imported = statistics.median(calamine_ms), statistics.median(import_ms)
    memory_rows = [int(n) for n in args.memory_rows.split(",") if n.strip()]
    peaks = []
    with tempfile.TemporaryDirectory() as folder:
        for count in memory_rows:
            path = Path(folder) / f"statement-{count}.xlsx"
            sized = content if count == rows else statement_workbook(count)
            path.write_bytes(sized)
            peak = {"rows": count, "file_mb": round(len(sized) / 1024 / 1024, 2)}
            for which in ("import", "calamine"):
                measured = subprocess.run(
                    [sys.executable, "-m", "bench.funds", which, str(path)], capture_output=True, text=True,
                    check=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
                peak[which] = json.loads(measured.stdout.strip().splitlines()[-1])
            peaks.append(peak)
            print(f"  memory at {count:,} rows: {peak}", flush=True)
    return {
        "rows": rows, "runs": runs, "file_mb": round(len(content) / 1024 / 1024, 2), "generate_s": generate_s,
        "calamine": timing(calamine_ms), "import": timing(import_ms),
        "ratio": round(imported / calamine, 2), "goal_ratio": 5,
        "import_rows_per_second": round(rows / (imported / 1000)),
        "memory": peaks, "load_average_at_start": load_at_start,
        "load_average_at_end": [round(load, 2) for load in os.getloadavg()],
    }


def markdown(result: dict) -> str:
    lines = [
        f"Measured {result.get('date', '')}: a {result['rows']:,}-row statement workbook ({result['file_mb']} MB), "
        f"median of {result['runs']} interleaved runs; load average {result['load_average_at_start']} at the "
        f"start, {result['load_average_at_end']} at the end.",
        "",
        "| measure | median | p95 |",
        "| --- | ---: | ---: |",
        f"| python-calamine: open and read every row | {result['calamine']['median_ms']:.0f} ms | "
        f"{result['calamine']['p95_ms']:.0f} ms |",
        f"| statement_import: read, check, COPY, commit | {result['import']['median_ms']:.0f} ms | "
        f"{result['import']['p95_ms']:.0f} ms |",
        f"| ratio import / calamine (goal ≤ {result['goal_ratio']}×) | {result['ratio']}× | |",
        "",
        "| rows | file | import: Python peak | import: RSS growth | calamine: Python peak | calamine: RSS growth |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for peak in result["memory"]:
        lines.append(f"| {peak['rows']:,} | {peak['file_mb']} MB | {peak['import']['python_peak_mb']} MB | "
                     f"{peak['import']['rss_growth_mb']} MB | {peak['calamine']['python_peak_mb']} MB | "
                     f"{peak['calamine']['rss_growth_mb']} MB |")
    return "\n".join(lines)


if __name__ == "__main__":  # one memory measurement in a fresh process (run_suite starts it)
    from bench.run import setup_django

    setup_django()
    print(json.dumps(measure_memory(sys.argv[1], sys.argv[2])))
