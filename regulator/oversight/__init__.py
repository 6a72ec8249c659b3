"""The oversight floor: the heads' queue, ledgers and exports, dashboard, nightly summary and weekly report.

It stands above the apps and is fed by them through the ground floor's `regulator.registry` (each app's
`<app>/oversight.py`); nothing here imports an app, and no app imports anything here.
"""
