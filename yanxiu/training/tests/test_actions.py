"""Training actions: choosing and dropping, period close, class split, enrolment by rule, retakes."""

import datetime as dt
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from yanxiu.catalog.models import CourseStatus
from yanxiu.catalog.tests.factories import CourseFactory
from yanxiu.core.errors import NotFound, ValidationFailed
from yanxiu.core.models import AuditEvent
from yanxiu.org.models import Stage, Subject
from yanxiu.org.tests.factories import SchoolFactory, TeacherFactory, region
from yanxiu.training import actions, selectors
from yanxiu.training.models import Enrolment, EnrolmentSource, EnrolmentStatus, Klass
from yanxiu.training.tests.factories import (
    EnrolmentFactory,
    OfferingFactory,
    PeriodFactory,
    past_period,
    training_snapshot,
)

pytestmark = pytest.mark.django_db


def suitable_offering(period, **course):
    return OfferingFactory(period=period, course=CourseFactory(all_stages=True, all_subjects=True, **course))


# --- Choosing and dropping ---------------------------------------------------------------------
def test_choose_refuses_unsuitable_courses_and_projects_of_other_regions(world) -> None:
    teacher = world.t_haizhu
    junior = CourseFactory(all_subjects=True)
    junior.stages.add(Stage.objects.get(code="junior"))
    primary_chinese = CourseFactory()
    primary_chinese.stages.add(Stage.objects.get(code="primary"))
    primary_chinese.subjects.add(Subject.objects.get(code="chinese"))
    with pytest.raises(ValidationFailed, match="不适合您的学段或学科"):
        actions.enrolment_choose(acting_user=teacher.user, offering=OfferingFactory(period=world.period, course=junior))
    chosen = actions.enrolment_choose(
        acting_user=teacher.user, offering=OfferingFactory(period=world.period, course=primary_chinese)
    )
    assert chosen.source == EnrolmentSource.CHOSEN
    # 海珠区's project is not for 番禺区's teachers.
    with pytest.raises(ValidationFailed, match="不面向您所在的区域"):
        actions.enrolment_choose(acting_user=world.t_panyu.user, offering=suitable_offering(world.period))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("window_closed", "不在选课时间内"),
        ("period_closed", "不在选课时间内"),
        ("retired", "只有在职教师可以选课"),
        ("draft", "尚未发布或已停用"),
        ("cap", "本期已选 55 学时，再选此课程将超过每期 60"),
    ],
)
def test_choose_validation_changes_nothing(world, change, message) -> None:
    offering = suitable_offering(world.period, credit_hours=Decimal("8"))
    if change == "window_closed":
        world.period.selection_closes_at = timezone.now() - timedelta(seconds=1)
        world.period.save()
    elif change == "period_closed":
        world.period.closed_at = timezone.now()
        world.period.save()
    elif change == "retired":
        world.t_haizhu.status = "retired"
        world.t_haizhu.save()
    elif change == "draft":
        offering.course.status = CourseStatus.DRAFT
        offering.course.save()
    elif change == "cap":
        # 10 hours held + 45 = 55; 8 more would make 63.
        actions.enrolment_choose(
            acting_user=world.t_haizhu.user, offering=suitable_offering(world.period, credit_hours=Decimal("45"))
        )
    before = training_snapshot()
    with pytest.raises(ValidationFailed, match=message):
        actions.enrolment_choose(acting_user=world.t_haizhu.user, offering=offering)
    assert training_snapshot() == before


def test_choose_twice_is_one_enrolment(world) -> None:
    offering = suitable_offering(world.period)
    first = actions.enrolment_choose(acting_user=world.t_haizhu.user, offering=offering)
    assert actions.enrolment_choose(acting_user=world.t_haizhu.user, offering=offering).pk == first.pk
    assert Enrolment.objects.filter(offering=offering).count() == 1


def test_drop_rules(world) -> None:
    user = world.t_haizhu.user
    offering = suitable_offering(world.period)
    chosen = actions.enrolment_choose(acting_user=user, offering=offering)
    with pytest.raises(ValidationFailed, match="不能自行退选"):
        actions.enrolment_drop(acting_user=user, enrolment=world.enrolment)  # assigned
    with pytest.raises(NotFound):
        actions.enrolment_drop(acting_user=world.t_panyu.user, enrolment=chosen)
    chosen.started_at = timezone.now()
    chosen.save()
    with pytest.raises(ValidationFailed, match="已经开始学习"):
        actions.enrolment_drop(acting_user=user, enrolment=chosen)
    chosen.started_at = None
    chosen.save()
    world.period.selection_closes_at = timezone.now() - timedelta(seconds=1)
    world.period.save()
    chosen.offering.period.refresh_from_db()
    with pytest.raises(ValidationFailed, match="不在选课时间内"):
        actions.enrolment_drop(acting_user=user, enrolment=chosen)
    assert Enrolment.objects.filter(pk=chosen.pk).exists()
    world.period.selection_closes_at = timezone.now() + timedelta(days=1)
    world.period.save()
    chosen.offering.period.refresh_from_db()
    actions.enrolment_drop(acting_user=user, enrolment=chosen)
    assert not Enrolment.objects.filter(pk=chosen.pk).exists()
    assert AuditEvent.objects.get(action="enrolment.dropped").target_id == str(chosen.pk)


# --- Period close ------------------------------------------------------------------------------
def test_period_close_fails_every_enrolment_not_passed_once(world) -> None:
    period = past_period(world.project, "1502")
    offering = suitable_offering(period)
    selected = EnrolmentFactory(offering=offering, teacher=world.t_haizhu)
    learning = EnrolmentFactory(offering=offering, teacher=TeacherFactory(school=world.haizhu), status="learning")
    passed = EnrolmentFactory(offering=offering, teacher=TeacherFactory(school=world.haizhu), status="passed")
    assert actions.period_close(acting_user=world.admin, period=period) == 2
    statuses = {e.pk: e.status for e in Enrolment.objects.filter(offering=offering)}
    assert statuses == {selected.pk: "failed", learning.pk: "failed", passed.pk: "passed"}
    assert Enrolment.objects.get(pk=world.enrolment.pk).status == "selected"  # another period
    period.refresh_from_db()
    closed_at = period.closed_at
    assert closed_at is not None
    assert actions.period_close(acting_user=world.admin, period=period) == 0
    period.refresh_from_db()
    assert period.closed_at == closed_at
    assert AuditEvent.objects.filter(action="period.closed").count() == 1


def test_period_close_waits_for_the_end_and_the_scope(world) -> None:
    before = training_snapshot()
    with pytest.raises(ValidationFailed, match="结束后才能结束期次"):
        actions.period_close(acting_user=world.admin, period=world.period)
    with pytest.raises(NotFound):
        actions.period_close(acting_user=world.other_admin, period=past_period(world.project, "1501"))
    assert Enrolment.objects.filter(status="failed").count() == 0
    assert training_snapshot()[4] == before[4]


# --- Classes -----------------------------------------------------------------------------------
def test_split_groups_by_district_and_subject_and_is_idempotent(world) -> None:
    offering = suitable_offering(world.period)
    math = Subject.objects.get(code="math")
    tianhe = SchoolFactory(region=region("440106"))
    city_school = SchoolFactory(region=region("440100"))
    chinese = [TeacherFactory(school=world.haizhu) for _ in range(5)]
    maths = [TeacherFactory(school=world.haizhu, subject=math) for _ in range(2)]
    others = [TeacherFactory(school=tianhe), TeacherFactory(school=city_school, subject=None)]
    for t in [*chinese, *maths, *others]:
        EnrolmentFactory(offering=offering, teacher=t)
    result = actions.klasses_split(acting_user=world.admin, offering=offering, capacity=2)
    sizes = {k.name: k.enrolments.count() for k in Klass.objects.filter(offering=offering)}
    assert sizes == {
        "海珠区·语文 1班": 2,
        "海珠区·语文 2班": 2,
        "海珠区·语文 3班": 1,
        "海珠区·数学 1班": 2,
        "天河区·语文 1班": 1,
        "广州市局属学校·未填学科 1班": 1,
    }
    assert result == {"classes_created": 6, "enrolments_placed": 9}
    # A re-run moves nobody; a newcomer fills the room in the last class before a new one opens.
    assert actions.klasses_split(acting_user=world.admin, offering=offering, capacity=2) == {
        "classes_created": 0,
        "enrolments_placed": 0,
    }
    EnrolmentFactory(offering=offering, teacher=TeacherFactory(school=world.haizhu))
    EnrolmentFactory(offering=offering, teacher=TeacherFactory(school=world.haizhu))
    assert actions.klasses_split(acting_user=world.admin, offering=offering, capacity=2) == {
        "classes_created": 1,
        "enrolments_placed": 2,
    }
    sizes = {
        k.name: k.enrolments.count() for k in Klass.objects.filter(offering=offering, name__startswith="海珠区·语文")
    }
    assert sizes == {"海珠区·语文 1班": 2, "海珠区·语文 2班": 2, "海珠区·语文 3班": 2, "海珠区·语文 4班": 1}


def test_klass_tutors_must_be_in_scope(world) -> None:
    from yanxiu.org.models import Role
    from yanxiu.org.tests.factories import user_with_role

    panyu_tutor = user_with_role(Role.TUTOR, region_code="440113")
    with pytest.raises(ValidationFailed, match="管辖范围内的辅导教师"):
        actions.klass_create(acting_user=world.admin, offering=world.offering, name="二班", tutors=[panyu_tutor])
    klass = actions.klass_create(acting_user=world.admin, offering=world.offering, name="二班", tutors=[world.tutor])
    assert list(klass.tutors.all()) == [world.tutor]
    with pytest.raises(ValidationFailed, match="已有名为“二班”的班级"):
        actions.klass_create(acting_user=world.admin, offering=world.offering, name="二班")


# --- Enrolment by rule -------------------------------------------------------------------------
def test_enrolment_by_rule_respects_scope_status_cap_and_is_idempotent(world) -> None:
    offering = suitable_offering(world.period, credit_hours=Decimal("20"))
    fresh = [TeacherFactory(school=world.haizhu) for _ in range(2)]
    TeacherFactory(school=world.haizhu, status="leave")
    full = TeacherFactory(school=world.haizhu)
    EnrolmentFactory(offering=suitable_offering(world.period, credit_hours=Decimal("45")), teacher=full)
    rule = selectors.EnrolmentRule()
    result = actions.enrolments_assign(acting_user=world.admin, offering=offering, rule=rule)
    # world.t_haizhu holds 10 hours: 10 + 20 fits; `full` holds 45: 65 would not.
    assert result == {"matched": 4, "created": 3, "already": 0, "over_cap": 1}
    enrolled = set(Enrolment.objects.filter(offering=offering).values_list("teacher_id", flat=True))
    assert enrolled == {world.t_haizhu.pk, *(t.pk for t in fresh)}
    assert set(Enrolment.objects.filter(offering=offering).values_list("source", flat=True)) == {"assigned"}
    again = actions.enrolments_assign(acting_user=world.admin, offering=offering, rule=rule)
    assert again == {"matched": 4, "created": 0, "already": 3, "over_cap": 1}
    assert AuditEvent.objects.filter(action="enrolments.assigned").count() == 1


def test_enrolment_by_rule_never_leaves_the_scope(world) -> None:
    offering = suitable_offering(world.period)
    for rule in (selectors.EnrolmentRule(region_code="440113"), selectors.EnrolmentRule(school_id=world.panyu.pk)):
        assert actions.enrolments_assign(acting_user=world.admin, offering=offering, rule=rule)["created"] == 0
    assert not Enrolment.objects.filter(teacher=world.t_panyu).exists()
    with pytest.raises(NotFound):
        actions.enrolments_assign(acting_user=world.other_admin, offering=offering, rule=selectors.EnrolmentRule())
    assert not Enrolment.objects.filter(offering=offering).exists()


def test_enrolment_by_rule_refuses_unpublished_courses(world) -> None:
    offering = OfferingFactory(period=world.period, course=CourseFactory(status=CourseStatus.RETIRED))
    with pytest.raises(ValidationFailed, match="尚未发布或已停用"):
        actions.enrolments_assign(acting_user=world.admin, offering=offering, rule=selectors.EnrolmentRule())


# --- Retakes -----------------------------------------------------------------------------------
@pytest.fixture
def history(world):
    """1601 (earlier): one failed, one passed; 1701 (later than 1602): one failed."""
    earlier = past_period(world.project, "1601")
    later = PeriodFactory(
        project=world.project,
        code="1701",
        starts_on=world.period.starts_on + dt.timedelta(days=100),
        ends_on=world.period.ends_on + dt.timedelta(days=100),
    )
    course = world.offering.course
    failed_teacher = TeacherFactory(school=world.haizhu, teacher_no="H0100")
    failed = EnrolmentFactory(
        offering=OfferingFactory(period=earlier, course=course), teacher=failed_teacher, status="failed"
    )
    EnrolmentFactory(
        offering=OfferingFactory(period=earlier, course=CourseFactory()),
        teacher=TeacherFactory(school=world.haizhu),
        status="passed",
    )
    later_failed = EnrolmentFactory(
        offering=OfferingFactory(period=later, course=course),
        teacher=TeacherFactory(school=world.haizhu),
        status="failed",
    )
    panyu_failed = EnrolmentFactory(
        offering=OfferingFactory(period=earlier, course=CourseFactory()), teacher=world.t_panyu, status="failed"
    )
    return {"failed": failed, "later_failed": later_failed, "panyu_failed": panyu_failed, "earlier": earlier}


def test_retake_candidates_are_failed_earlier_and_in_scope(world, history) -> None:
    candidates = set(selectors.retake_candidates(world.admin, world.period))
    assert candidates == {history["failed"]}


def test_retakes_open_idempotent_with_dates(world, history) -> None:
    period = world.period
    ids = [history["failed"].pk, history["later_failed"].pk, history["panyu_failed"].pk]
    result = actions.retakes_open(
        acting_user=world.admin, period=period, enrolment_ids=ids, opens_on=period.starts_on, closes_on=period.ends_on
    )
    assert result == {"created": 1, "already_enrolled": 0, "skipped": 2}
    retake = Enrolment.objects.get(retake_of=history["failed"])
    assert (retake.source, retake.offering, retake.opens_on, retake.closes_on) == (
        "retake",
        world.offering,
        period.starts_on,
        period.ends_on,
    )
    again = actions.retakes_open(
        acting_user=world.admin, period=period, enrolment_ids=ids, opens_on=period.starts_on, closes_on=period.ends_on
    )
    assert again == {"created": 0, "already_enrolled": 0, "skipped": 3}
    assert Enrolment.objects.filter(source="retake").count() == 1
    assert not selectors.retake_candidates(world.admin, period).exists()


def test_retake_for_a_teacher_already_in_the_offering_is_reported(world, history) -> None:
    EnrolmentFactory(offering=world.offering, teacher=history["failed"].teacher, source="chosen")
    [candidate] = selectors.retake_candidates(world.admin, world.period)
    assert candidate.enrolled_now
    result = actions.retakes_open(
        acting_user=world.admin,
        period=world.period,
        enrolment_ids=[candidate.pk],
        opens_on=world.period.starts_on,
        closes_on=world.period.ends_on,
    )
    assert result == {"created": 0, "already_enrolled": 1, "skipped": 0}
    assert not Enrolment.objects.filter(source="retake").exists()


@pytest.mark.parametrize(
    ("opens", "closes", "message"),
    [(0, -1, "不能早于学习开始日期"), (-1, 10, "应在 1602 期之内"), (0, 1000, "应在 1602 期之内")],
)
def test_retake_dates_are_validated(world, history, opens, closes, message) -> None:
    before = training_snapshot()
    with pytest.raises(ValidationFailed, match=message):
        actions.retakes_open(
            acting_user=world.admin,
            period=world.period,
            enrolment_ids=[history["failed"].pk],
            opens_on=world.period.starts_on + dt.timedelta(days=opens),
            closes_on=world.period.starts_on + dt.timedelta(days=closes),
        )
    assert training_snapshot() == before


def test_retakes_are_refused_outside_the_scope(world, history) -> None:
    before = training_snapshot()
    with pytest.raises(NotFound):
        actions.retakes_open(
            acting_user=world.other_admin,
            period=world.period,
            enrolment_ids=[history["failed"].pk],
            opens_on=world.period.starts_on,
            closes_on=world.period.ends_on,
        )
    assert training_snapshot() == before


def test_failed_retake_becomes_a_candidate_again_later(world, history) -> None:
    period = world.period
    actions.retakes_open(
        acting_user=world.admin,
        period=period,
        enrolment_ids=[history["failed"].pk],
        opens_on=period.starts_on,
        closes_on=period.ends_on,
    )
    Enrolment.objects.filter(source="retake").update(status=EnrolmentStatus.PASSED)
    later = PeriodFactory(
        project=world.project,
        code="1801",
        starts_on=period.starts_on + dt.timedelta(days=400),
        ends_on=period.ends_on + dt.timedelta(days=400),
    )
    # Passed since: no longer a candidate.
    assert history["failed"] not in set(selectors.retake_candidates(world.admin, later))


# --- Periods and pass rules --------------------------------------------------------------------
def test_closed_period_keeps_its_dates(world) -> None:
    period = past_period(world.project, "1502")
    actions.period_close(acting_user=world.admin, period=period)
    period.refresh_from_db()
    before = training_snapshot()
    fields = {
        "code": period.code,
        "starts_on": period.starts_on,
        "ends_on": period.ends_on,
        "selection_opens_at": None,
        "selection_closes_at": None,
    }
    for change in (
        {"ends_on": period.ends_on + timedelta(days=30)},
        {"starts_on": period.starts_on - timedelta(days=1)},
        {"selection_opens_at": timezone.now(), "selection_closes_at": timezone.now() + timedelta(days=1)},
    ):
        with pytest.raises(ValidationFailed) as caught:
            actions.period_update(acting_user=world.admin, period=period, **(fields | change))
        assert caught.value.code == "period_closed"
        assert caught.value.message == f"1502 期已于 {timezone.localdate():%Y-%m-%d} 结束，不能再修改日期和选课时间。"
    assert training_snapshot() == before
    # The code may still be corrected; the dates stay.
    actions.period_update(acting_user=world.admin, period=period, **(fields | {"code": "1502A"}))
    period.refresh_from_db()
    assert (period.code, period.ends_on) == ("1502A", fields["ends_on"])


def test_open_period_dates_can_change(world) -> None:
    new_end = world.period.ends_on + timedelta(days=5)
    actions.period_update(
        acting_user=world.admin,
        period=world.period,
        code="1602",
        starts_on=world.period.starts_on,
        ends_on=new_end,
        selection_opens_at=world.period.selection_opens_at,
        selection_closes_at=world.period.selection_closes_at,
    )
    world.period.refresh_from_db()
    assert world.period.ends_on == new_end
    assert AuditEvent.objects.filter(action="period.updated").count() == 1


@pytest.mark.parametrize("percent", ["0", "0.5", "100.01", "-5", "NaN"])
def test_pass_rule_outside_1_to_100_is_refused(world, percent) -> None:
    before = training_snapshot()
    with pytest.raises(ValidationFailed, match="必修活动完成比例应在 1 到 100 之间"):
        actions.offering_pass_rule_set(
            acting_user=world.admin,
            offering=world.offering,
            required_percent=Decimal(percent),
            assignment_required=True,
        )
    assert training_snapshot() == before


@pytest.mark.parametrize(("percent", "ratio"), [("1", "0.01"), ("100", "1"), ("62.5", "0.625")])
def test_pass_rule_within_1_to_100_is_kept(world, percent, ratio) -> None:
    actions.offering_pass_rule_set(
        acting_user=world.admin, offering=world.offering, required_percent=Decimal(percent), assignment_required=False
    )
    world.offering.refresh_from_db()
    assert world.offering.pass_rule == {"required_ratio": ratio, "assignment_required": False}


# --- Enrolment management ----------------------------------------------------------------------
def test_enrolment_fee_status_and_source_change_with_audit(world) -> None:
    enrolment = world.enrolment
    actions.enrolment_update(acting_user=world.admin, enrolment=enrolment, fee_status="unpaid", source="recommended")
    enrolment.refresh_from_db()
    assert (enrolment.fee_status, enrolment.source) == ("unpaid", "recommended")
    event = AuditEvent.objects.get(action="enrolment.updated")
    assert event.actor == world.admin and event.target_id == str(enrolment.pk)
    assert event.detail == {
        "before": {"fee_status": "free", "source": "assigned"},
        "after": {"fee_status": "unpaid", "source": "recommended"},
    }
    # Back to 指定 and 已缴费; a change to nothing records nothing.
    actions.enrolment_update(acting_user=world.admin, enrolment=enrolment, fee_status="paid", source="assigned")
    actions.enrolment_update(acting_user=world.admin, enrolment=enrolment, fee_status="paid", source="assigned")
    enrolment.refresh_from_db()
    assert (enrolment.fee_status, enrolment.source) == ("paid", "assigned")
    assert AuditEvent.objects.filter(action="enrolment.updated").count() == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fee_status": "owed"}, "请选择缴费状态"),
        ({"source": "chosen"}, "只能改为“指定”或“推荐”"),
        ({"source": "retake"}, "只能改为“指定”或“推荐”"),
    ],
)
def test_enrolment_update_refuses_bad_values(world, change, message) -> None:
    before = training_snapshot()
    with pytest.raises(ValidationFailed, match=message):
        actions.enrolment_update(acting_user=world.admin, enrolment=world.enrolment, **change)
    assert training_snapshot() == before


@pytest.mark.parametrize("source", ["chosen", "retake"])
def test_chosen_and_retake_enrolments_keep_their_source(world, source) -> None:
    Enrolment.objects.filter(pk=world.enrolment.pk).update(source=source)
    world.enrolment.refresh_from_db()
    before = training_snapshot()
    with pytest.raises(ValidationFailed, match="自主选课和重修不能改"):
        actions.enrolment_update(acting_user=world.admin, enrolment=world.enrolment, source="recommended")
    assert training_snapshot() == before
    # Their fee status may still change.
    actions.enrolment_update(acting_user=world.admin, enrolment=world.enrolment, fee_status="paid")
    assert Enrolment.objects.get(pk=world.enrolment.pk).fee_status == "paid"


def test_move_to_another_class_respects_capacity_and_offering(world) -> None:
    enrolment = world.enrolment
    full = Klass.objects.create(offering=world.offering, name="二班", capacity=1)
    EnrolmentFactory(offering=world.offering, teacher=TeacherFactory(school=world.haizhu), klass=full)
    roomy = Klass.objects.create(offering=world.offering, name="三班", capacity=2)
    elsewhere = Klass.objects.create(offering=suitable_offering(world.period), name="别的课的班")
    before = training_snapshot()
    with pytest.raises(ValidationFailed, match="班级“二班”已满（1/1 人）"):
        actions.enrolment_update(acting_user=world.admin, enrolment=enrolment, klass=full)
    with pytest.raises(ValidationFailed, match="同一门课程的其他班级"):
        actions.enrolment_update(acting_user=world.admin, enrolment=enrolment, klass=elsewhere)
    assert training_snapshot() == before
    actions.enrolment_update(acting_user=world.admin, enrolment=enrolment, klass=world.klass)
    actions.enrolment_update(acting_user=world.admin, enrolment=enrolment, klass=roomy)
    enrolment.refresh_from_db()
    assert enrolment.klass == roomy
    # Staying in a full class is no move: nothing to refuse.
    roomy.capacity = 1
    roomy.save()
    actions.enrolment_update(acting_user=world.admin, enrolment=enrolment, klass=roomy)
    details = [e.detail for e in AuditEvent.objects.filter(action="enrolment.updated").order_by("pk")]
    assert details == [
        {"before": {"klass_id": None}, "after": {"klass_id": world.klass.pk}},
        {"before": {"klass_id": world.klass.pk}, "after": {"klass_id": roomy.pk}},
    ]


def test_enrolment_management_stays_in_scope(world) -> None:
    panyu_enrolment = EnrolmentFactory(offering=world.offering, teacher=world.t_panyu)
    before = training_snapshot()
    for user, enrolment in [
        (world.other_admin, world.enrolment),
        (world.school_admin, world.enrolment),
        (world.tutor, world.enrolment),
        (world.t_haizhu.user, world.enrolment),
        # 海珠区's project, but a 番禺区 teacher: not the 海珠区 administrator's to manage.
        (world.admin, panyu_enrolment),
    ]:
        with pytest.raises(NotFound):
            actions.enrolment_update(acting_user=user, enrolment=enrolment, fee_status="unpaid")
        with pytest.raises(NotFound):
            actions.enrolment_remove(acting_user=user, enrolment=enrolment)
    assert training_snapshot() == before


def test_remove_an_enrolment_not_started(world) -> None:
    pk = world.enrolment.pk
    actions.enrolment_remove(acting_user=world.admin, enrolment=world.enrolment)
    assert not Enrolment.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(action="enrolment.removed")
    assert (event.actor, event.target_id) == (world.admin, str(pk))
    assert event.detail["teacher"] == world.t_haizhu.pk and event.detail["source"] == "assigned"
    with pytest.raises(NotFound):  # a double click finds nothing left
        actions.enrolment_remove(acting_user=world.admin, enrolment=world.enrolment)
    assert AuditEvent.objects.filter(action="enrolment.removed").count() == 1


@pytest.mark.parametrize(
    "started",
    [
        {"started_at": dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC)},
        {"status": EnrolmentStatus.LEARNING},
        {"status": EnrolmentStatus.PASSED, "hours_earned": Decimal("10")},
        {"status": EnrolmentStatus.FAILED},
        {"progress": 5},
    ],
)
def test_enrolments_with_learning_are_never_removed(world, started) -> None:
    Enrolment.objects.filter(pk=world.enrolment.pk).update(**started)
    world.enrolment.refresh_from_db()
    before = training_snapshot()
    with pytest.raises(ValidationFailed, match="已经开始学习这门课程，不能移除") as caught:
        actions.enrolment_remove(acting_user=world.admin, enrolment=world.enrolment)
    assert caught.value.code == "already_started"
    assert training_snapshot() == before


def test_enrolment_by_rule_can_recommend(world) -> None:
    offering = suitable_offering(world.period)
    fresh = TeacherFactory(school=world.haizhu)
    result = actions.enrolments_assign(
        acting_user=world.admin, offering=offering, rule=selectors.EnrolmentRule(), source="recommended"
    )
    assert result["created"] == 2
    sources = dict(Enrolment.objects.filter(offering=offering).values_list("teacher_id", "source"))
    assert sources == {world.t_haizhu.pk: "recommended", fresh.pk: "recommended"}
    assert AuditEvent.objects.get(action="enrolments.assigned").detail["source"] == "recommended"
    before = training_snapshot()
    with pytest.raises(ValidationFailed, match="选课来源应为“指定”或“推荐”"):
        actions.enrolments_assign(
            acting_user=world.admin, offering=offering, rule=selectors.EnrolmentRule(), source="retake"
        )
    assert training_snapshot() == before


# --- Enrolment by file: a retake opened at the same moment -------------------------------------
def test_import_racing_a_retake_reports_the_row_unchanged(world, monkeypatch) -> None:
    """retakes_open takes no teacher locks: its row may land between the import's check and its
    insert. The import skips that row (no IntegrityError) and counts it as unchanged."""
    from yanxiu.org.tests.roster_files import csv_bytes

    course = world.offering.course
    CourseFactory(code="RACE2")
    racer = TeacherFactory(school=world.haizhu, teacher_no="H0200")
    content = csv_bytes(
        [["HZ", "1602", "H0200", course.code], ["HZ", "1602", "H0200", "RACE2"]],
        headers=("项目", "期次", "教师编号", "课程编号"),
    )
    insert = actions._assigned_insert

    def retake_lands_first(pairs):
        EnrolmentFactory(offering=world.offering, teacher=racer, source=EnrolmentSource.RETAKE)
        return insert(pairs)

    monkeypatch.setattr(actions, "_assigned_insert", retake_lands_first)
    summary = actions.enrolments_import(content, "enrol.csv", actor=world.admin)
    assert (summary["created"], summary["unchanged"], summary["errors"]) == (1, 1, 0)
    held = dict(Enrolment.objects.filter(teacher=racer).values_list("offering__course__code", "source"))
    assert held == {course.code: "retake", "RACE2": "assigned"}  # the retake stays a retake
    assert AuditEvent.objects.get(action="enrolments.imported").detail["created"] == 1


def test_assigned_insert_skips_rows_that_exist(world) -> None:
    fresh = TeacherFactory(school=world.haizhu)
    created = actions._assigned_insert([(world.t_haizhu.pk, world.offering), (fresh.pk, world.offering)])
    assert created == 1
    assert Enrolment.objects.filter(offering=world.offering).count() == 2
    assert actions._assigned_insert([]) == 0


def test_import_cap_message_prints_hours_plainly(world) -> None:
    from yanxiu.org.tests.roster_files import csv_bytes

    CourseFactory(code="BIG55", credit_hours=Decimal("55.5"))
    content = csv_bytes([["HZ", "1602", "H0001", "BIG55"]], headers=("项目", "期次", "教师编号", "课程编号"))
    summary = actions.enrolments_import(content, "enrol.csv", actor=world.admin, dry_run=True)
    # world.t_haizhu holds 10 hours.
    assert summary["error_rows"] == [(2, "超过每期 60 学时的上限（本期将达 65.5 学时）。")]
