"""Unified social credit code (统一社会信用代码) per GB 32100-2015, with its check character."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {char: index for index, char in enumerate(CREDIT_CODE_CHARSET)}


def credit_code_check_char(first17: str) -> str:
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    return (value or "").strip().upper()


def validate_credit_code(value: str) -> None:
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位，当前为%(length)d位。"), code="length", params={"length": len(code)}
        )
    bad = sorted({char for char in code if char not in _VALUE})
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、S、V、Z）。"),
            code="charset",
            params={"chars": "".join(bad)},
        )
    if not code[2:8].isdigit():
        raise ValidationError(_("统一社会信用代码第3至8位应为行政区划代码数字。"), code="region")
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("统一社会信用代码校验位错误：第18位应为“%(expected)s”，而不是“%(actual)s”。"),
            code="check",
            params={"expected": expected, "actual": code[17]},
        )


# Resident identity number (居民身份证号码) per GB 11643-1999: 17 digits and an ISO 7064 MOD 11-2 check character.
ID_NUMBER_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_NUMBER_CHECK = "10X98765432"


def id_number_check_char(first17: str) -> str:
    return ID_NUMBER_CHECK[sum(int(d) * w for d, w in zip(first17, ID_NUMBER_WEIGHTS, strict=True)) % 11]


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper()


def validate_id_number(value: str) -> None:
    number = normalize_id_number(value)
    if len(number) != 18 or not number[:17].isdigit():
        raise ValidationError(_("身份证号应为18位：前17位数字，第18位数字或X。"), code="format")
    expected = id_number_check_char(number[:17])
    if number[17] != expected:
        raise ValidationError(
            _("身份证号校验位错误（GB 11643）：第18位应为“%(expected)s”，而不是“%(actual)s”。"),
            code="check", params={"expected": expected, "actual": number[17]},
        )
