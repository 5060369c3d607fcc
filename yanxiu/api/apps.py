from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "yanxiu.api"
    label = "api"
    verbose_name = "接口"
