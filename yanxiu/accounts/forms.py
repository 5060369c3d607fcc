from __future__ import annotations

from django import forms

from yanxiu.core.forms import StyledForm


class SignInForm(StyledForm):
    username = forms.CharField(
        label="教师编号或手机号",
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}),
        error_messages={"required": "请输入教师编号或手机号。"},
    )
    password = forms.CharField(
        label="密码",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "请输入密码。"},
    )


class PasswordChangeForm(StyledForm):
    old_password = forms.CharField(
        label="原密码（或初始密码）",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "请输入原密码。"},
    )
    new_password = forms.CharField(
        label="新密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "请输入新密码。"},
        help_text="至少 8 位，不能使用常见密码，不能与姓名、账号、手机号相近，不能全是数字。",
    )
    new_password_again = forms.CharField(
        label="再次输入新密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "请再次输入新密码。"},
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", "两次输入的新密码不一致。")
        return data
