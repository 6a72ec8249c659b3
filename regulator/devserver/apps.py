from django.apps import AppConfig


class DevServerConfig(AppConfig):
    """`manage.py runserver` (make demo) with the site's own Chinese pages for the answers the server gives by itself.
    Listed before django.contrib.staticfiles in INSTALLED_APPS, so that its runserver is the one used."""

    name = "regulator.devserver"
    label = "regulator_devserver"
