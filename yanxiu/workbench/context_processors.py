from typing import Any

from django.http import HttpRequest

from yanxiu.workbench.selectors import navigation


def navigation_items(request: HttpRequest) -> dict[str, Any]:
    # Lazy: pages that never render the navigation (e.g. the login page) pay nothing.
    return {"nav_items": lambda: navigation(request.user)}
