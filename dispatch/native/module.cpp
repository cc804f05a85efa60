// Python binding of the native pickup-and-delivery search (module dispatch._pdptw).
//
// `solve(instance, params, initial=None)` takes a dict of numpy arrays (see
// dispatch/native.py, which builds it from a Problem), runs construction, route
// minimisation and large neighbourhood search with the GIL released, and returns
// each vehicle's node sequence plus statistics. ``params["threads"]`` > 1 runs that
// many searches in parallel, sharing their best plans (portfolio.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "instance.hpp"
#include "general.hpp"
#include "portfolio.hpp"
#include "search.hpp"

namespace py = pybind11;
using namespace noriai;

namespace {

template <class T>
std::vector<T> take(const py::dict& d, const char* key, std::size_t expected) {
    if (!d.contains(key)) throw std::invalid_argument(std::string("instance: missing ") + key);
    auto arr = py::array_t<T, py::array::c_style | py::array::forcecast>(d[key]);
    if (static_cast<std::size_t>(arr.size()) != expected) {
        throw std::invalid_argument(std::string("instance: ") + key + " has " +
                                    std::to_string(arr.size()) + " entries, expected " +
                                    std::to_string(expected));
    }
    return std::vector<T>(arr.data(), arr.data() + arr.size());
}

Instance read_instance(const py::dict& d) {
    Instance in;
    in.n_loc = d["n_loc"].cast<int>();
    in.n_req = d["n_req"].cast<int>();
    in.n_veh = d["n_veh"].cast<int>();
    const std::size_t L = in.n_loc, N = 2 * static_cast<std::size_t>(in.n_req), R = in.n_req,
                      K = in.n_veh;
    in.time = take<i64>(d, "time", L * L);
    in.dist = take<i64>(d, "dist", L * L);
    in.loc = take<int>(d, "loc", N);
    in.service = take<i64>(d, "service", N);
    in.early = take<i64>(d, "early", N);
    in.late = take<i64>(d, "late", N);
    in.load = take<i64>(d, "load", R * kDims);
    in.max_ride = take<i64>(d, "max_ride", R);
    in.penalty = take<i64>(d, "penalty", R);
    in.allowed = take<std::uint8_t>(d, "allowed", R * K);
    in.v_start = take<int>(d, "v_start", K);
    in.v_end = take<int>(d, "v_end", K);
    in.v_early = take<i64>(d, "v_early", K);
    in.v_late = take<i64>(d, "v_late", K);
    in.v_max_dur = take<i64>(d, "v_max_dur", K);
    in.v_cap = take<i64>(d, "v_cap", K * kDims);
    in.v_fixed = take<i64>(d, "v_fixed", K);
    in.v_rate_dist = take<i64>(d, "v_rate_dist", K);
    in.v_rate_time = take<i64>(d, "v_rate_time", K);
    for (auto& x : in.max_ride) {
        if (x < 0) x = kInf;
    }
    for (auto& x : in.v_max_dur) {
        if (x < 0) x = kInf;
    }
    in.general = d.contains("general") && d["general"].cast<bool>();
    if (in.general) {
        in.legs = !d.contains("legs") || d["legs"].cast<bool>();
        in.n_brk = d.contains("n_brk") ? d["n_brk"].cast<int>() : 0;
        if (in.n_brk < 0) throw std::invalid_argument("instance: n_brk must be >= 0");
        const std::size_t B = in.n_brk;
        in.b_veh = take<int>(d, "b_veh", B);
        in.b_early = take<i64>(d, "b_early", B);
        in.b_late = take<i64>(d, "b_late", B);
        in.b_dur = take<i64>(d, "b_dur", B);
        in.mode = take<int>(d, "mode", R);
        in.bound = take<int>(d, "bound", R);
        in.excess_rate = take<i64>(d, "excess_rate", R);
        in.direct = take<i64>(d, "direct", R);
        in.onboard_dep = take<i64>(d, "onboard_dep", R);
        in.v_rate_dur = take<i64>(d, "v_rate_dur", K);
        in.v_shift_start = take<i64>(d, "v_shift_start", K);
        in.v_init_load = take<i64>(d, "v_init_load", K * kDims);
        in.v_closed = take<std::uint8_t>(d, "v_closed", K);
        if (!d.contains("prefix")) throw std::invalid_argument("instance: missing prefix");
        in.prefix = d["prefix"].cast<std::vector<std::vector<int>>>();
    }
    in.finalize();
    return in;
}

// General mode: every locked prefix must be feasible on its own (with its breaks).
void check_prefixes(const Instance& in) {
    if (!in.general) return;
    const Solution base = Solution::empty(in);
    for (int v = 0; v < in.n_veh; ++v) {
        if (!base.routes[v].feasible)
            throw std::invalid_argument("locked stops of vehicle " + std::to_string(v) +
                                        " cannot be timed (windows, ride limits or shift)");
        if (!loads_fit(in, v, base.routes[v].seq))
            throw std::invalid_argument("locked stops of vehicle " + std::to_string(v) +
                                        " exceed its capacity");
    }
}

Params read_params(const py::dict& d) {
    Params p;
    std::vector<std::string> known;
    auto get = [&](const char* key, auto& field) {
        known.emplace_back(key);
        if (d.contains(key)) field = d[key].cast<std::decay_t<decltype(field)>>();
    };
    get("time_limit_s", p.time_limit_s);
    get("route_min_share", p.route_min_share);
    get("minimize_routes", p.minimize_routes);
    get("eject_max", p.eject_max);
    get("eject_work", p.eject_work);
    get("perturb_moves", p.perturb_moves);
    get("start_temp", p.start_temp);
    get("end_temp", p.end_temp);
    get("min_remove", p.min_remove);
    get("max_remove", p.max_remove);
    get("max_remove_share", p.max_remove_share);
    get("patience_s", p.patience_s);
    get("lns_eject_steps", p.lns_eject_steps);
    get("eject_share", p.eject_share);
    get("soft_fixed", p.soft_fixed);
    get("soft_share", p.soft_share);
    get("seed", p.seed);
    get("lns_iterations", p.lns_iterations);
    get("improvement_limit", p.improvement_limit);
    get("ges_steps", p.ges_steps);
    get("reorder", p.reorder);
    get("window", p.window);
    get("threads", p.threads);
    get("share_after", p.share_after);
    get("share_routes", p.share_routes);
    get("pool", p.pool);
    get("pool_gap", p.pool_gap);
    for (auto item : d) {
        const auto key = item.first.cast<std::string>();
        if (std::find(known.begin(), known.end(), key) == known.end())
            throw std::invalid_argument("params: unknown key " + key);
    }
    if (p.threads < 1) throw std::invalid_argument("params: threads must be >= 1");
    if (p.pool < 0) throw std::invalid_argument("params: pool must be >= 0 (routes kept)");
    if (!(p.pool_gap >= 0)) throw std::invalid_argument("params: pool_gap must be >= 0");
    if (!(p.eject_share >= 0)) throw std::invalid_argument("params: eject_share must be >= 0");
    if (p.window < 0 || p.window > 6)
        throw std::invalid_argument("params: window must be 0 to 6 (stops reordered)");
    return p;
}

// General mode: a route of the initial plan. It must begin with the vehicle's locked
// prefix; its breaks may be anywhere (those missing go to their cheapest position).
void read_initial_general(const Instance& in, Solution& s, int v, std::vector<int> seq) {
    Route& r = s.routes[v];
    const std::vector<int>& pre = in.prefix[v];
    std::vector<int> stops;
    for (int node : seq) {
        if (node < 0 || node >= in.n_all()) throw std::invalid_argument("initial: node out of range");
        if (in.is_break(node)) {
            if (in.b_veh[in.brk(node)] != v)
                throw std::invalid_argument("initial: a break of another vehicle");
        } else {
            stops.push_back(node);
        }
    }
    if (stops.size() < pre.size() || !std::equal(pre.begin(), pre.end(), stops.begin()))
        throw std::invalid_argument("initial: route of vehicle " + std::to_string(v) +
                                    " does not begin with its locked stops");
    for (int b : in.v_breaks[v]) {
        if (std::count(seq.begin(), seq.end(), b) > 1)
            throw std::invalid_argument("initial: a break appears twice");
    }
    if (in.v_closed[v] && stops.size() > pre.size())
        throw std::invalid_argument("initial: stops beyond the lock of a closed vehicle");
    for (std::size_t k = pre.size(); k < stops.size(); ++k) {
        const int node = stops[k];
        const int req = node >> 1;
        if (in.mode[req] == Instance::kFixed || (in.mode[req] == Instance::kDropOnly && !(node & 1)))
            throw std::invalid_argument("initial: a done or locked stop outside the lock");
        if (in.mode[req] == Instance::kSingle && !(node & 1))
            throw std::invalid_argument("initial: the stand-in pickup of a single-stop request");
        if (in.mode[req] == Instance::kDropOnly && in.bound[req] != v)
            throw std::invalid_argument("initial: a bound request on another vehicle");
    }
    // missing breaks: appended, then each moved to its cheapest feasible position
    for (int b : in.v_breaks[v]) {
        if (std::find(seq.begin(), seq.end(), b) == seq.end()) seq.push_back(b);
    }
    r.seq = std::move(seq);
    refresh(in, r);
    improve_breaks(in, r);
}

// Routes given as node lists become a solution; each must be feasible as given.
Solution read_initial(const Instance& in, const py::list& routes) {
    if (static_cast<int>(routes.size()) != in.n_veh)
        throw std::invalid_argument("initial: one node list per vehicle expected");
    Solution s = Solution::empty(in);
    Timing timing(in);
    std::vector<int> seen(in.n_nodes(), 0);
    for (int v = 0; v < in.n_veh; ++v) {
        Route& r = s.routes[v];
        if (in.general) read_initial_general(in, s, v, routes[v].cast<std::vector<int>>());
        else r.seq = routes[v].cast<std::vector<int>>();
        for (int node : r.seq) {
            if (in.general && in.is_break(node)) continue;
            if (node < 0 || node >= in.n_nodes())
                throw std::invalid_argument("initial: node out of range");
            seen[node] += 1;
            if (seen[node] > 1) throw std::invalid_argument("initial: a node appears twice");
            if (node & 1) {
                const bool single = in.general && in.mode[node >> 1] == Instance::kSingle;
                if (single && !in.can(node >> 1, v))
                    throw std::invalid_argument("initial: a request on a vehicle it may not use");
                if (in.one_stop(node >> 1)) {
                    s.route_of[node >> 1] = v;
                } else if (s.route_of[node >> 1] != v) {
                    throw std::invalid_argument("initial: a dropoff before its pickup");
                }
            } else {
                if (!in.can(node >> 1, v))
                    throw std::invalid_argument("initial: a request on a vehicle it may not use");
                s.route_of[node >> 1] = v;
            }
        }
        for (int node : r.seq) {
            if (!(in.general && in.is_break(node)) && !(node & 1) && !seen[node + 1])
                throw std::invalid_argument("initial: a pickup without its dropoff");
        }
        refresh(in, r);
        const bool timed = in.general
                               ? r.feasible
                               : timing.feasible(v, r.seq.data(), static_cast<int>(r.seq.size()));
        if (!loads_fit(in, v, r.seq) || !timed)
            throw std::invalid_argument("initial: route of vehicle " + std::to_string(v) +
                                        " is infeasible");
    }
    return s;
}

py::dict solve(const py::dict& instance, const py::dict& params, const py::object& initial) {
    const Instance in = read_instance(instance);
    const Params p = read_params(params);
    check_prefixes(in);
    Solution start;
    const bool warm = !initial.is_none();
    if (warm) start = read_initial(in, initial.cast<py::list>());
    Portfolio search(in, p);
    Solution best;
    {
        py::gil_scoped_release release;
        best = search.run(warm ? &start : nullptr);
    }
    py::list routes, starts, on_route, lead_on_route;
    for (const Route& r : best.routes) {
        routes.append(py::cast(r.seq));
        i64 cost = 0;
        const bool timed = !in.general || timer().evaluate(in, r.v, r.seq.data(), r.size(), cost);
        starts.append(in.general && timed ? timer().start() : in.v_early[r.v]);
        on_route.append(in.general && timed && timer().on_route());
        lead_on_route.append(in.general && timed && timer().lead_on_route());
    }
    const Stats& st = search.stats();
    py::dict out;
    out["routes"] = routes;
    out["starts"] = starts;      // per route: the departure lower bound it was costed with
    out["on_route"] = on_route;  // per route: trailing breaks timed on the route
    out["lead_on_route"] = lead_on_route;  // per route: leading breaks on the way out
    out["warm_start"] = warm;
    out["objective"] = best.objective(in);
    out["vehicles"] = best.used_vehicles();
    out["unassigned"] = best.unassigned();
    out["initial_vehicles"] = st.initial_vehicles;
    out["routes_removed"] = st.routes_removed;
    out["ges_iterations"] = st.ges_iterations;
    out["lns_iterations"] = st.lns_iterations;
    out["lns_improvements"] = st.lns_improvements;
    out["construct_s"] = st.construct_s;
    out["ges_s"] = st.ges_s;
    out["lns_s"] = st.lns_s;
    out["threads"] = search.threads();
    out["adoptions"] = st.adoptions;
    out["stall_escapes"] = st.stall_escapes;
    out["insertion_searches"] = st.insertion_searches;
    out["eject_searches"] = st.eject_searches;
    if (p.pool > 0) {
        py::list pool;
        for (const PoolRoute& r : search.pool()) pool.append(py::make_tuple(r.v, r.cost, r.seq));
        out["pool"] = pool;  // (vehicle, arc cost, node sequence) per distinct route met
    }
    return out;
}

// What the search makes of an instance before it starts: the mode, whether it needs
// the exact timing (a ride limit or duration cap some schedule could break), and each
// vehicle's class (vehicles of one class are interchangeable).
py::dict describe(const py::dict& instance) {
    const Instance in = read_instance(instance);
    py::dict out;
    out["general"] = in.general;
    out["exact_timing"] = in.exact_timing;
    out["vehicle_class"] = in.v_class;
    return out;
}

// For tests: the native exact timing verdict of one sequence.
bool sequence_feasible(const py::dict& instance, int vehicle, const std::vector<int>& seq) {
    const Instance in = read_instance(instance);
    if (vehicle < 0 || vehicle >= in.n_veh) throw std::invalid_argument("vehicle out of range");
    if (in.general) {
        i64 cost = 0;
        return loads_fit(in, vehicle, seq) &&
               timer().evaluate(in, vehicle, seq.data(), static_cast<int>(seq.size()), cost);
    }
    Timing timing(in);
    return loads_fit(in, vehicle, seq) &&
           timing.feasible(vehicle, seq.data(), static_cast<int>(seq.size()));
}

// For tests: the exact cost of one sequence in the general mode, with the departure
// lower bound and the trailing- and leading-break choices it was costed with (None when
// infeasible).
py::object sequence_cost(const py::dict& instance, int vehicle, const std::vector<int>& seq) {
    const Instance in = read_instance(instance);
    if (vehicle < 0 || vehicle >= in.n_veh) throw std::invalid_argument("vehicle out of range");
    if (!in.general) throw std::invalid_argument("sequence_cost: a general-mode instance expected");
    for (int node : seq) {
        if (node < 0 || node >= in.n_all()) throw std::invalid_argument("node out of range");
    }
    i64 cost = 0;
    if (!loads_fit(in, vehicle, seq) ||
        !timer().evaluate(in, vehicle, seq.data(), static_cast<int>(seq.size()), cost))
        return py::none();
    return py::make_tuple(cost, timer().start(), timer().on_route(), timer().lead_on_route());
}

// For the insertion test hooks: `seq` as vehicle `vehicle`'s route, `req` checked.
Route route_for_insertion(const Instance& in, int vehicle, const std::vector<int>& seq, int req) {
    if (vehicle < 0 || vehicle >= in.n_veh) throw std::invalid_argument("vehicle out of range");
    if (req < 0 || req >= in.n_req) throw std::invalid_argument("request out of range");
    Route r;
    r.v = vehicle;
    r.seq = seq;
    refresh(in, r);
    return r;
}

// For tests: every feasible insertion (delta, i, j) of request `req` into `seq` on
// `vehicle`, as the search enumerates them (cheap tests, then the exact check).
std::vector<std::tuple<i64, int, int>> feasible_insertions(const py::dict& instance, int vehicle,
                                                           const std::vector<int>& seq, int req) {
    const Instance in = read_instance(instance);
    const Route r = route_for_insertion(in, vehicle, seq, req);
    Inserter ins(in);
    std::vector<Insertion> found;
    ins.feasible_in_route(r, req, found);
    std::vector<std::tuple<i64, int, int>> out;
    for (const Insertion& x : found) out.emplace_back(x.delta, x.i, x.j);
    return out;
}

// For tests: request `req`'s cheapest insertion into `seq` on `vehicle` as a repair
// finds it, by the cheap tests alone ((delta, i, j, exactly timed)) and then settled
// ((delta, i, j)), beside what `best_in_route` finds; None where it has no place.
py::tuple cheapest_insertion(const py::dict& instance, int vehicle, const std::vector<int>& seq,
                             int req) {
    const Instance in = read_instance(instance);
    const Route r = route_for_insertion(in, vehicle, seq, req);
    Inserter ins(in);
    const Insertion cheap = ins.cheapest(r, req);
    const auto triple = [](const Insertion& x) -> py::object {
        return x.ok() ? py::object(py::make_tuple(x.delta, x.i, x.j)) : py::object(py::none());
    };
    return py::make_tuple(
        cheap.ok() ? py::object(py::make_tuple(cheap.delta, cheap.i, cheap.j, cheap.checked))
                   : py::object(py::none()),
        triple(ins.settle(r, req, cheap)), triple(ins.best_in_route(r, req)));
}

}  // namespace

PYBIND11_MODULE(_pdptw, m) {
    m.doc() = "Native pickup-and-delivery search: construction, route minimisation, ALNS.";
    m.def("solve", &solve, py::arg("instance"), py::arg("params"), py::arg("initial") = py::none());
    m.def("describe", &describe, py::arg("instance"));
    m.def("sequence_feasible", &sequence_feasible, py::arg("instance"), py::arg("vehicle"),
          py::arg("seq"));
    m.def("sequence_cost", &sequence_cost, py::arg("instance"), py::arg("vehicle"),
          py::arg("seq"));
    m.def("feasible_insertions", &feasible_insertions, py::arg("instance"), py::arg("vehicle"),
          py::arg("seq"), py::arg("request"));
    m.def("cheapest_insertion", &cheapest_insertion, py::arg("instance"), py::arg("vehicle"),
          py::arg("seq"), py::arg("request"));
}
