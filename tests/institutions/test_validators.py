import pytest
from django.core.exceptions import ValidationError

from institutions.validators import credit_code_check_char, validate_credit_code

# Published codes with a correct GB 32100-2015 check character.
VALID_CODES = [
    "91350100M000100Y43",
    "91110000600037341L",
    "52370102MJD123456" + credit_code_check_char("52370102MJD123456"),
]


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_codes_pass(code):
    validate_credit_code(code)


def test_lowercase_is_normalised():
    validate_credit_code("91350100m000100y43")


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91350100M000100Y4", "18位"),
        ("91350100M000100Y44", "校验位错误"),
        ("91350100M0001O0Y43", "不允许的字符"),
        ("913ABC00M000100Y43", "行政区划"),
    ],
)
def test_bad_codes_are_refused_with_reason(code, fragment):
    with pytest.raises(ValidationError) as error:
        validate_credit_code(code)
    assert fragment in str(error.value)


def test_wrong_check_character_names_the_expected_one():
    with pytest.raises(ValidationError) as error:
        validate_credit_code("91350100M000100Y44")
    assert "应为“3”" in str(error.value)
