from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from yanxiu.catalog.models import Course, CourseCategory, CourseStatus


class CourseFactory(DjangoModelFactory):
    class Meta:
        model = Course

    code = factory.Sequence(lambda n: f"C{n:06d}")
    title = factory.Sequence(lambda n: f"测试课程{n}")
    category = CourseCategory.ELECTIVE
    credit_hours = Decimal("10")
    status = CourseStatus.PUBLISHED
