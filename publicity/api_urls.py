"""The open-data API's routes (publicity/api.py), included at /public/api/v1/ by regulator/urls.py under the
namespace django-ninja reverses its views with ("open-data")."""

from .api import api

urlpatterns, _app_name, app_name = api.urls  # the namespace as the app name: include() uses it for both
