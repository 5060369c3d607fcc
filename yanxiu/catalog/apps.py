from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "yanxiu.catalog"
    label = "catalog"
    verbose_name = "课程"
