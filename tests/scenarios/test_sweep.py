"""Sweeps: the variants table, failure isolation, per-seed reproducibility, and a real
two-worker `LocalCluster` (worker processes, one thread each)."""

from __future__ import annotations

import csv

import pytest

from routing.errors import InputError
from scenarios.sweep import (
    SweepRow,
    SweepTable,
    Variant,
    open_client,
    parse_value,
    parse_variants,
    read_variants,
    run_day,
    run_sweep,
)
from tests.scenarios.days import TinySpec, make_day, simulate_tiny

GOOD = """\
# fleet size x pooling
variant,fleet.vehicles,dispatch.pooling,demand.scale,note
small-pool,2,true,1.0,
small-solo,2,FALSE,,"quiet, rural"

big-pool,4,true,1.25,"[1, 2]"
"""


# --- the variants table ----------------------------------------------------------------


def test_parse_variants_types_and_empty_cells():
    vs = parse_variants(GOOD)
    assert [v.name for v in vs] == ["small-pool", "small-solo", "big-pool"]
    assert vs[0].overrides == {"fleet.vehicles": 2, "dispatch.pooling": True, "demand.scale": 1.0}
    assert vs[1].overrides == {
        "fleet.vehicles": 2,
        "dispatch.pooling": False,
        "note": "quiet, rural",
    }
    assert vs[2].overrides["note"] == [1, 2]
    assert [v.line for v in vs] == [3, 4, 6]  # file lines, for messages


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("12", 12),
        ("-3", -3),
        ("0.5", 0.5),
        ("1e3", 1000.0),
        ("True", True),
        (" x ", "x"),
        ("[a", "[a"),
    ],
)
def test_parse_value(cell, value):
    assert parse_value(cell) == value and type(parse_value(cell)) is type(value)


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        ("", ["empty table"]),
        ("name,fleet.vehicles\na,3\n", ["no 'variant' column"]),
        ("variant,fleet.vehicles\n", ["no variants below the header"]),
        (
            "variant,fleet vehicles,x.1y\na,3,1\n",
            ["'fleet vehicles' is not a dotted key", "'x.1y'"],
        ),
        ("variant,a,a\nv,1,2\n", ["column 'a' appears twice"]),
        (
            "variant,fleet.vehicles\na,3\nb,4,5\n,6\na,7\n",
            [
                "line 3: 3 cells, the header has 2",
                "line 4: empty variant name",
                "line 5: variant 'a' already on line 2",
            ],
        ),
    ],
)
def test_bad_tables_list_every_problem_with_its_line(text, messages):
    with pytest.raises(InputError) as err:
        parse_variants(text, source="v.csv")
    for m in messages:
        assert m in str(err.value)


def test_read_variants_missing_file(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_variants(tmp_path / "nope.csv")


def test_read_variants_accepts_a_spreadsheet_bom(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("\ufeffvariant,fleet.vehicles\n相乗り,3\n", encoding="utf-8")
    assert read_variants(path) == [Variant("相乗り", {"fleet.vehicles": 3}, 2)]


# --- the results table -------------------------------------------------------------------


def test_sweep_table_curves_group_by_the_other_columns(tmp_path):
    rows = [
        SweepRow(
            f"{n}-{p}", s, {"fleet.vehicles": n, "dispatch.pooling": p}, {"share": n / 4 + s / 8}
        )
        for n in (3, 2)
        for p in (True, False)
        for s in (0, 1)
    ]
    rows.append(SweepRow("broken", 0, {"fleet.vehicles": 9}, error="boom"))
    table = SweepTable("tiny", ("fleet.vehicles", "dispatch.pooling"), rows)
    assert table.numeric_keys() == ["fleet.vehicles"]
    curves = table.curves("share", "fleet.vehicles")
    assert curves == {
        "pooling=true": [(2, [0.5, 0.625]), (3, [0.75, 0.875])],
        "pooling=false": [(2, [0.5, 0.625]), (3, [0.75, 0.875])],
    }
    assert table.mean("3-True", "share") == 0.8125
    assert table.mean("broken", "share") is None
    path = table.write_csv(tmp_path / "sweep.csv")
    with path.open(encoding="utf-8") as f:
        out = list(csv.DictReader(f))
    assert [r["error"] for r in out].count("boom") == 1
    assert out[0]["dispatch.pooling"] == "true" and float(out[0]["share"]) == 0.75


def test_run_day_outside_a_cluster_never_raises():
    bad = run_day(
        TinySpec(vehicles=0),
        1,
        variant="empty",
        data_dir=".",
        cache_dir=None,
        simulate=simulate_tiny,
    )
    assert bad["error"].startswith("RuntimeError: the fleet is empty")
    good = run_day(
        TinySpec(), 1, variant="base", data_dir=".", cache_dir=None, simulate=simulate_tiny
    )
    assert good["result"] == make_day("base", 1, vehicles=3, scenario="tiny").to_plain()


def test_empty_inputs_are_refused():
    with pytest.raises(InputError, match="no rows"):
        run_sweep(TinySpec(), [], [0], data_dir=".")
    with pytest.raises(InputError, match="at least one seed"):
        run_sweep(TinySpec(), [Variant("a", {})], [], data_dir=".")


# --- on a real LocalCluster ---------------------------------------------------------------


@pytest.fixture(scope="module")
def client():
    """One real LocalCluster (2 worker processes, 1 thread each) for the module."""
    with open_client(n_workers=2) as c:
        yield c


def test_local_cluster_has_two_single_threaded_workers(client):
    info = client.scheduler_info()
    assert len(info["workers"]) == 2
    assert all(w["nthreads"] == 1 for w in info["workers"].values())
    pids = client.run(lambda: __import__("os").getpid())
    assert len(set(pids.values())) == 2 and __import__("os").getpid() not in pids.values()


def test_sweep_isolates_failures_and_ships_days_back(client):
    variants = parse_variants(
        "variant,fleet.vehicles,dispatch.pooling\n"
        "two,2,true\n"
        "typo-key,,\n"  # the base spec: fine
        "empty,0,false\n"  # the simulation raises
        "negative,-1,true\n"  # with_overrides refuses
        "four,4,false\n"
    )
    variants.append(Variant("misspelt", {"fleet.vehicels": 3}, 9))
    seen = []
    table = run_sweep(
        TinySpec(),
        variants,
        [0, 1],
        data_dir=".",
        client=client,
        simulate=simulate_tiny,
        progress=lambda done, total, row: seen.append((done, total, row.variant)),
    )
    assert [(r.variant, r.seed) for r in table.rows] == [
        (v.name, s) for v in variants for s in (0, 1)
    ]
    errors = {r.variant: r.error for r in table.failed()}
    assert set(errors) == {"empty", "negative", "misspelt"}
    assert "RuntimeError: the fleet is empty" in errors["empty"]
    assert (
        errors["negative"]
        == "bad override (line 5): fleet.vehicles: must be a whole number >= 0, got -1"
    )
    assert errors["misspelt"] == "bad override (line 9): fleet.vehicels: no such setting"
    assert [s[0] for s in seen] == list(range(1, 13)) and {s[1] for s in seen} == {12}
    # the days came back whole, with the KPIs the workers computed
    assert len(table.results) == 6
    for day in table.results:
        spec = TinySpec().with_overrides(
            dict(next(v for v in variants if v.name == day.variant).overrides)
        )
        expected = make_day(day.variant, day.seed, vehicles=spec.vehicles, pooling=spec.pooling)
        assert day == expected
        row = next(r for r in table.rows if (r.variant, r.seed) == (day.variant, day.seed))
        assert row.kpis == day.kpis and row.worker.startswith("tcp://")


def test_same_seed_same_kpis_on_either_worker(client):
    """Each (spec, seed) is its own random state: pin it to each worker in turn."""
    workers = sorted(client.scheduler_info()["workers"])
    spec = TinySpec(vehicles=3)
    outs = [
        client.submit(
            run_day,
            spec,
            seed,
            variant="pinned",
            data_dir=".",
            cache_dir=None,
            simulate=simulate_tiny,
            workers=[w],
            pure=False,
        ).result()
        for w in workers
        for seed in (5, 6)
    ]
    assert [o["worker"] for o in outs] == [workers[0], workers[0], workers[1], workers[1]]
    assert outs[0]["result"] == outs[2]["result"]  # seed 5 on both workers
    assert outs[1]["result"] == outs[3]["result"]  # seed 6 on both workers
    assert outs[0]["result"]["kpis"] != outs[1]["result"]["kpis"]  # seeds differ


def test_unreachable_scheduler_is_an_input_error():
    with (
        pytest.raises(InputError, match="cannot reach the Dask scheduler"),
        open_client(scheduler="tcp://127.0.0.1:9", connect_timeout_s=1),
    ):
        pass


def test_real_days_on_the_cluster_reproduce_per_seed(client, tiny, town, graph_cache):
    """End to end: the real `simulate_day` on both workers, a bad override isolated, and
    every (variant, seed) equal to the same day simulated here."""
    from scenarios.simulate import simulate_day

    variants = parse_variants(
        "variant,fleet.size,dispatch.pooling\n"
        "one-pool,1,true\n"
        "two-pool,2,true\n"
        "two-solo,2,false\n"
        "too-many,9,true\n"
    )
    table = run_sweep(
        tiny, variants, [0, 1], data_dir=town.parent, cache_dir=graph_cache, client=client
    )
    errors = {r.variant: r.error for r in table.failed()}
    assert set(errors) == {"too-many"} and "fleet.size: 9 vehicles asked for" in errors["too-many"]
    assert len(table.results) == 6
    assert len({r.worker for r in table.rows if r.ok}) == 2  # both workers simulated days
    for day in table.results:
        spec = tiny.with_overrides(dict(table.overrides(day.variant)))
        here = simulate_day(
            spec, day.seed, data_dir=town.parent, cache_dir=graph_cache, variant=day.variant
        )
        assert here.kpis == day.kpis and here.trips == day.trips
    assert table.mean("two-solo", "shared_ride_share") == 0.0
