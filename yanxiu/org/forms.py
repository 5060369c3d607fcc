from __future__ import annotations

from typing import Any

from django import forms

from yanxiu.core.forms import StyledForm
from yanxiu.org import permissions
from yanxiu.org.models import EmploymentStatus, Ownership, Region, School, Stage, Subject


class TeacherForm(StyledForm):
    real_name = forms.CharField(label="姓名", max_length=64, error_messages={"required": "请填写姓名。"})
    mobile = forms.CharField(
        label="手机号",
        max_length=11,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    id_number = forms.CharField(
        label="身份证号", max_length=18, required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    school: forms.ModelChoiceField[School] = forms.ModelChoiceField(
        label="学校",
        queryset=None,
        error_messages={"required": "请选择学校。", "invalid_choice": "请选择您管辖范围内的学校。"},
    )
    stage = forms.ModelChoiceField(label="学段", queryset=Stage.objects.all(), required=False, empty_label="（未填）")
    subject = forms.ModelChoiceField(
        label="学科", queryset=Subject.objects.all(), required=False, empty_label="（未填）"
    )
    status = forms.ChoiceField(label="在职状态", choices=EmploymentStatus.choices)

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = permissions.schools_visible_to(user).select_related("region")  # type: ignore[attr-defined]


class TeacherCreateForm(TeacherForm):
    teacher_no = forms.CharField(label="教师编号", max_length=32, error_messages={"required": "请填写教师编号。"})
    field_order = ["teacher_no"]


class SchoolForm(StyledForm):
    name = forms.CharField(label="学校名称", max_length=100, error_messages={"required": "请填写学校名称。"})
    region: forms.ModelChoiceField[Region] = forms.ModelChoiceField(
        label="所属区域",
        queryset=None,
        help_text="局属学校选择所在的市。",
        error_messages={"required": "请选择区域。", "invalid_choice": "请选择您管辖范围内的区域。"},
    )
    ownership = forms.ChoiceField(label="办学性质", choices=Ownership.choices)
    stages = forms.ModelMultipleChoiceField(
        label="学段", queryset=Stage.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label="在用", required=False, initial=True)

    def __init__(self, *args: Any, user: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = permissions.regions_visible_to(user)  # type: ignore[attr-defined]


class RosterUploadForm(StyledForm):
    file = forms.FileField(
        label="名册文件（.xlsx 或 .csv）",
        error_messages={"required": "请选择要上传的文件。", "empty": "文件是空的。"},
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    create_schools = forms.BooleanField(label="自动新建名册中不存在的学校", required=False)
