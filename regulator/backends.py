"""Authentication backend that loads the account's department with the account: one query per request.

The query runs on every page, so its SQL is compiled once (regulator/prepared.py) and the two rows are built as the
ORM's select_related would build them: a User with its Department cached on it (or None without one)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import router

from .prepared import Prepared


def _columns(model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


class _UserWithDepartment:
    """The prepared read of one account and its department; `load(pk)` returns the User or None."""

    def __init__(self):
        self._prepared = None

    def _setup(self):
        user_model = get_user_model()
        department_field = user_model._meta.get_field("department")
        department_model = department_field.related_model
        self.user_model, self.department_model, self.department_field = user_model, department_model, department_field
        self.user_columns = _columns(user_model)
        self.department_columns = _columns(department_model)
        self.department_pk = len(self.user_columns) + self.department_columns.index(department_model._meta.pk.attname)
        columns = [*self.user_columns, *(f"department__{name}" for name in self.department_columns)]
        self._prepared = Prepared(
            user_model, lambda pk: user_model._default_manager.filter(pk=pk).values_list(*columns), {"pk": -2**62 + 7}
        )

    def load(self, pk):
        if self._prepared is None:
            self._setup()
        database = router.db_for_read(self.user_model)
        rows = self._prepared.rows(using=database, pk=pk)
        if not rows:
            return None
        row = rows[0]
        split = len(self.user_columns)
        user = self.user_model.from_db(database, self.user_columns, row[:split])
        department = None
        if row[self.department_pk] is not None:
            department = self.department_model.from_db(database, self.department_columns, row[split:])
        self.department_field.set_cached_value(user, department)
        return user


_LOADER = _UserWithDepartment()


class StaffBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            pk = get_user_model()._meta.pk.to_python(user_id)  # the session holds the id as a string
        except ValidationError:
            return None
        user = _LOADER.load(pk)
        if user is None:
            return None
        return user if self.user_can_authenticate(user) else None
