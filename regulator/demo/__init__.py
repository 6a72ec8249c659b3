"""The demo (`manage.py load_demo`): regions, departments, accounts, institutions and casework through the apps'
own services. It stands above the apps (it imports every one of them), beside the oversight floor."""
