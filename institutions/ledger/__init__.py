"""Ledger import (台账导入): an .xlsx workbook, one row per institution, validated before anything is written.

Two phases, each a Celery task that calls in here:
1. `validate_job` reads the stored workbook, refuses a file that cannot be imported (not .xlsx, wrong
   headers, merged cells, too many rows) and otherwise stores a per-row report (row, column, reason).
2. After the user confirms (`import_confirm`), `import_job` reads the workbook again, re-checks every row
   against the database as it is *now*, and writes the valid rows in chunks: per chunk a fixed handful of
   queries (regions, duplicate codes, duplicate licence numbers, three bulk inserts, the progress update),
   never one query per row. A chunk commits together with the job's progress, so a task that is run again
   resumes after the last committed chunk and never imports a row twice.

Modules: `columns` (the ledger's columns and choice labels), `template` (workbooks we write: the import
template, ledgers of rows), `reader` (an uploaded workbook, refused or streamed row by row), `rows`
(validation of rows, in the file and against the database), `jobs` (the services), `work` (the task bodies).
"""
