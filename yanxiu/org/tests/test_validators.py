import pytest

from yanxiu.org import validators


def _valid(body17: str) -> str:
    return body17 + validators.id_number_check_char(body17)


def test_check_character_follows_gb11643() -> None:
    # Worked example: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 over 11010519491231002 give
    # a sum of 167, 167 mod 11 = 2, and remainder 2 maps to "X".
    assert validators.id_number_check_char("11010519491231002") == "X"
    assert validators.id_number_error("11010519491231002X") is None
    assert validators.id_number_error("11010519491231002x") is None  # lower-case x accepted


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("110105194912310021", "校验位不正确"),
        ("11010519491231002", "18 位"),
        ("1101051949123100211", "18 位"),
        ("11010519491331002X", "出生日期无效"),
        ("ABCDEFGHIJKLMNOPQR", "18 位"),
        ("", "18 位"),
    ],
)
def test_bad_id_numbers_are_explained(value: str, message: str) -> None:
    error = validators.id_number_error(value)
    assert error is not None and message in error


@pytest.mark.parametrize("mobile", ["13812345678", "19900000001"])
def test_good_mobiles(mobile: str) -> None:
    assert validators.mobile_error(mobile) is None


@pytest.mark.parametrize("mobile", ["1381234567", "23812345678", "12012345678", "138-1234-5678", "+8613812345678"])
def test_bad_mobiles(mobile: str) -> None:
    assert validators.mobile_error(mobile) == "手机号应为 11 位数字，以 1 开头。"


@pytest.mark.parametrize("number", ["GZ000001", "a", "T-1_2"])
def test_good_teacher_numbers(number: str) -> None:
    assert validators.teacher_no_error(number) is None


@pytest.mark.parametrize("number", ["", "=1+1", "教师1", "-abc", "x" * 33, "a b"])
def test_bad_teacher_numbers(number: str) -> None:
    assert validators.teacher_no_error(number) is not None


def test_generated_ids_are_valid() -> None:
    assert validators.id_number_error(_valid("44010519900101123")) is None
