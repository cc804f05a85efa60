"""The shift plan's report section: the answer in both languages, plan against roster
from the same simulated KPIs, the shifts, the rounds and the Gantt."""

from __future__ import annotations

from dispatch.shifts import ShiftRules
from scenarios.report import section_markdown
from scenarios.shift_plan import PlanSettings, plan_and_verify
from scenarios.shift_report import comparison, rules_text, shift_answer, shift_section
from tests.scenarios.test_shift_plan import fake_simulate


def study(tiny, target: float):
    settings = PlanSettings(
        target=target, utilisation=1.0, raise_slots=1, rules=ShiftRules(min_length_s=3600)
    )
    return plan_and_verify(tiny, [0, 1], fake_simulate, settings)


def test_the_section_answers_first_and_compares_with_the_roster(tiny) -> None:
    s = study(tiny, 1.0)
    roster, plan = comparison(s)
    assert roster.within == 0.8  # the roster's fake day: one vehicle at 09:30
    assert plan.within == plan.within_worst == 1.0 and plan.solve_s is not None
    section = shift_section(s)
    ja, en = section.paragraphs[0]
    assert "目標を満たします" in ja and "meets the target" in en
    assert "100.0 %" in en
    [gantt] = section.figures
    assert gantt.name == "shift_gantt" and gantt.png.startswith(b"\x89PNG")
    compare, shifts, rounds = section.tables
    assert [row[0] for row in compare.rows] == [
        "現行の勤務 current roster",
        "CP-SAT 勤務計画 CP-SAT plan",
    ]
    assert len(shifts.rows) == s.final.plan.vehicles
    assert len(rounds.rows) == len(s.rounds) == 3
    assert "noise" in " ".join(en for _, en in section.paragraphs)
    # the HTML report opens with the section's answer and its Gantt; the rest follows
    opening, rest = shift_answer(section)
    assert opening.answer == (ja, en) and opening.figures == (gantt,)
    assert rest.paragraphs == section.paragraphs[1:] and rest.tables == section.tables
    assert not rest.figures and not rest.emphasis


def test_a_missed_target_is_said_plainly(tiny) -> None:
    settings = PlanSettings(
        target=1.0, utilisation=1.0, rounds=1, rules=ShiftRules(min_length_s=3600)
    )
    s = plan_and_verify(tiny, [0], fake_simulate, settings)
    paragraphs = shift_section(s).paragraphs
    ja, en = paragraphs[0]
    assert "目標に届きません" in ja and "does not reach the target" in en
    assert any("its limit of rounds" in en for _, en in paragraphs)
    assert "## 勤務計画 Shift plan" in section_markdown(shift_section(s))


def test_the_rules_are_described_from_their_figures() -> None:
    ja, en = rules_text(ShiftRules(max_length_s=11 * 3600, drive_break_s=20 * 60))
    assert "拘束 11 時間以内" in ja and "20 分以上の中断" in ja
    assert "at most 11 h of restraint" in en and "45 min over 6 h of work" in en
