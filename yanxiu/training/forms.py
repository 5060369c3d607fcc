from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from yanxiu.catalog.models import CourseCategory
from yanxiu.core.forms import StyledForm
from yanxiu.org.models import Region
from yanxiu.training import permissions
from yanxiu.training.actions import PASS_PERCENT_MESSAGE
from yanxiu.training.models import DEFAULT_HOURS_CAP, EnrolmentSource, FeeStatus, Klass, Offering, Project


def _hours(label: str, *, required: bool = True, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, max_digits=5, decimal_places=1, min_value=Decimal(0), **kwargs
    )


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class ProjectForm(StyledForm):
    """The scheme as fields (seed 004 figure 9: 8 / 18 / 16 / ≥8, 50 in all); scheme_parse checks it."""

    code = forms.CharField(label="项目代码", max_length=32, error_messages={"required": "请填写项目代码。"})
    name = forms.CharField(label="项目名称", max_length=200, error_messages={"required": "请填写项目名称。"})
    organiser: forms.ModelChoiceField[Region] = forms.ModelChoiceField(
        label="主办单位（区域）",
        queryset=None,
        error_messages={"required": "请选择主办单位。", "invalid_choice": "请选择您管辖范围内的区域。"},
    )
    total_hours = _hours("达标总学时", error_messages={"required": "请填写达标总学时。"})
    general_required = _hours("通识必修最低学时", required=False)
    subject_required = _hours("专业必修最低学时", required=False)
    online_research = _hours("网络研修最低学时", required=False)
    elective = _hours("任意选修最低学时", required=False)
    public_required = _hours("公需课最低学时", required=False)
    practice_percent = forms.DecimalField(
        label="实践应用学时比例（%）",
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=1,
        help_text="可不填；能力提升工程为 50。",
    )
    hours_cap_per_period = _hours("每期选课学时上限", initial=DEFAULT_HOURS_CAP, help_text="自主选课和指定选课都计入。")

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["organiser"].queryset = permissions.organisers_visible_to(user)  # type: ignore[attr-defined]

    def scheme(self) -> dict[str, Any]:
        data = self.cleaned_data
        categories = {code: str(data[code]) for code in CourseCategory.values if data.get(code) is not None}
        scheme: dict[str, Any] = {"total_hours": str(data["total_hours"]), "categories": categories}
        if data.get("practice_percent") is not None:
            scheme["practice_share"] = f"{(data['practice_percent'] / Decimal(100)).normalize():f}"
        return scheme

    @staticmethod
    def initial_for(project: Project) -> dict[str, Any]:
        scheme = project.scheme or {}
        initial: dict[str, Any] = {
            "code": project.code,
            "name": project.name,
            "organiser": project.organiser,
            "total_hours": scheme.get("total_hours"),
            "hours_cap_per_period": project.hours_cap_per_period,
            **scheme.get("categories", {}),
        }
        if scheme.get("practice_share") is not None:
            initial["practice_percent"] = f"{(Decimal(scheme['practice_share']) * 100).normalize():f}"
        return initial


class PeriodForm(StyledForm):
    code = forms.CharField(
        label="期次", max_length=16, help_text="例如 1602。", error_messages={"required": "请填写期次。"}
    )
    starts_on = forms.DateField(label="开始日期", widget=DATE, error_messages={"required": "请填写开始日期。"})
    ends_on = forms.DateField(label="结束日期", widget=DATE, error_messages={"required": "请填写结束日期。"})
    selection_opens_at = forms.DateTimeField(
        label="选课开始", required=False, widget=DATETIME, input_formats=DATETIME_FORMATS
    )
    selection_closes_at = forms.DateTimeField(
        label="选课截止", required=False, widget=DATETIME, input_formats=DATETIME_FORMATS
    )

    def __init__(self, *args: Any, closed: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if closed:
            # A closed period keeps its dates (period_update refuses changes); only the code is editable.
            for name in ("starts_on", "ends_on", "selection_opens_at", "selection_closes_at"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "本期已结束，不能再修改。"
                self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}-help"


class PassRuleForm(StyledForm):
    required_percent = forms.DecimalField(
        label="必修活动完成比例（%）",
        min_value=Decimal(1),
        max_value=Decimal(100),
        decimal_places=2,
        error_messages={
            "required": "请填写比例。",
            "min_value": PASS_PERCENT_MESSAGE,
            "max_value": PASS_PERCENT_MESSAGE,
        },
    )
    assignment_required = forms.TypedChoiceField(
        label="作业必须通过",
        choices=[("yes", "是"), ("no", "否")],
        coerce=lambda v: v == "yes",
    )


class KlassForm(StyledForm):
    name = forms.CharField(label="班级名称", max_length=100, error_messages={"required": "请填写班级名称。"})
    capacity = forms.IntegerField(label="容量", required=False, min_value=1, max_value=10000)
    tutors: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label="辅导教师",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "请选择您管辖范围内的辅导教师。"},
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["tutors"].queryset = permissions.tutors_visible_to(user).order_by("username")  # type: ignore[attr-defined]
        self.fields["tutors"].label_from_instance = lambda u: f"{u.real_name}（{u.username}）"  # type: ignore[attr-defined]


class SplitForm(StyledForm):
    capacity = forms.IntegerField(label="每班人数", min_value=1, max_value=10000, initial=50)


class EnrolmentUploadForm(StyledForm):
    file = forms.FileField(
        label="选课文件（.xlsx 或 .csv）",
        error_messages={"required": "请选择要上传的文件。", "empty": "文件是空的。"},
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


class RetakeDatesForm(StyledForm):
    opens_on = forms.DateField(label="学习开始日期", widget=DATE, error_messages={"required": "请填写开始日期。"})
    closes_on = forms.DateField(label="学习结束日期", widget=DATE, error_messages={"required": "请填写结束日期。"})


ADMIN_SOURCE_CHOICES = [
    (EnrolmentSource.ASSIGNED.value, EnrolmentSource.ASSIGNED.label),
    (EnrolmentSource.RECOMMENDED.value, EnrolmentSource.RECOMMENDED.label),
]


class EnrolmentChangeForm(forms.Form):
    """One row of the enrolment list: blank fields stay as they are."""

    fee_status = forms.ChoiceField(
        label="缴费",
        required=False,
        choices=[("", ""), *FeeStatus.choices],
        error_messages={"invalid_choice": "请选择缴费状态：免费、未缴费或已缴费。"},
    )
    klass: forms.ModelChoiceField[Klass] = forms.ModelChoiceField(
        label="班级",
        queryset=Klass.objects.none(),
        required=False,
        error_messages={"invalid_choice": "请选择这门课程的班级。"},
    )
    source = forms.ChoiceField(
        label="来源",
        required=False,
        choices=[("", ""), *ADMIN_SOURCE_CHOICES],
        error_messages={"invalid_choice": "选课来源只能改为“指定”或“推荐”。"},
    )

    def __init__(self, *args: Any, offering: Offering, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["klass"].queryset = Klass.objects.filter(offering=offering)  # type: ignore[attr-defined]

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "fee_status": data.get("fee_status") or None,
            "klass": data.get("klass"),
            "source": data.get("source") or None,
        }
