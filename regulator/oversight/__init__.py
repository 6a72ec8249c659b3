"""The oversight floor: the heads' queue, ledgers and exports, dashboard, nightly summary and weekly report.

It stands above the apps and is fed by them through `registry` (each app's `<app>/oversight.py`); nothing here
imports an app. Kept free of imports so that an app importing the registry loads nothing else of the floor.
"""
