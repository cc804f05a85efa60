"""``noriai plan shifts``: bilingual help, clear errors (exit code 2), and a real run on
the tiny scenario writing the table, the Gantt and the report."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from api.db.engine import make_engine
from api.db.models import Base

runner = CliRunner()


def test_help_is_bilingual() -> None:
    result = runner.invoke(app, ["plan", "--help"])
    assert result.exit_code == 0, result.output
    assert "計画 Planning" in result.output and "shifts" in result.output
    result = runner.invoke(app, ["plan", "shifts", "--help"])
    text = " ".join(result.output.split())
    for phrase in (
        "勤務計画",
        "CP-SAT",
        "--seeds",
        "--target",
        "--slot-min",
        "--from-db",
        "--days",
    ):
        assert phrase in text, phrase


def test_bad_seeds_exit_2(tiny_path: Path) -> None:
    result = runner.invoke(app, ["plan", "shifts", str(tiny_path), "--seeds", "1,x"])
    assert result.exit_code == 2
    assert "--seeds" in result.output and "Traceback" not in result.output


def test_rules_no_shift_can_keep_exit_2(tiny_path, data_dir, tmp_path, monkeypatch) -> None:
    # tiny runs 09:00-11:00 (roster 08:45-11:45): no 4 h shift fits 08:30-12:00
    monkeypatch.setenv("NORIAI_DATA_DIR", str(data_dir))
    monkeypatch.setenv("NORIAI_CACHE_DIR", str(tmp_path / "cache"))
    result = runner.invoke(app, ["plan", "shifts", str(tiny_path), "--seeds", "1"])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "no shift the rules allow fits between 08:30 and 12:00" in text


def test_an_empty_booking_history_exits_2(tiny_path, data_dir, tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    monkeypatch.setenv("NORIAI_DATABASE_URL", url)
    monkeypatch.setenv("NORIAI_DATA_DIR", str(data_dir))
    result = runner.invoke(app, ["plan", "shifts", str(tiny_path), "--from-db", "--days", "3"])
    assert result.exit_code == 2
    assert "no bookings" in result.output


def test_plan_shifts_end_to_end(tiny_path, data_dir, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NORIAI_DATA_DIR", str(data_dir))
    monkeypatch.setenv("NORIAI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "200")  # the table on one line per row
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            *("plan", "shifts", str(tiny_path), "--seeds", "1", "--rounds", "1"),
            *("--min-shift-h", "2", "--out", str(out)),
        ],
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "current roster" in text and "CP-SAT plan" in text
    for name in ("report.html", "shifts.md", "shifts.csv", "figures/shift_gantt.png"):
        assert (out / name).is_file(), name
    md = (out / "shifts.md").read_text(encoding="utf-8")
    assert md.startswith("## 勤務計画 Shift plan") and "figures/shift_gantt.png" in md
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "勤務計画" in html and "shift_gantt" in html
    answer = html.index('class="answer">CP-SAT の勤務計画は')
    assert answer < html.index("figures/shift_gantt.png") < html.index("<h2>要約")
    rows = (out / "shifts.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("shift,vehicle_type,start,end")
    assert len(rows) >= 2
