// Python binding of the native pickup-and-delivery search (module dispatch._pdptw).
//
// `solve(instance, params, initial=None)` takes a dict of numpy arrays (see
// dispatch/native.py, which builds it from a Problem), runs construction, route
// minimisation and large neighbourhood search with the GIL released, and returns
// each vehicle's node sequence plus statistics.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "instance.hpp"
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
    in.finalize();
    return in;
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
    get("soft_fixed", p.soft_fixed);
    get("soft_share", p.soft_share);
    get("seed", p.seed);
    for (auto item : d) {
        const auto key = item.first.cast<std::string>();
        if (std::find(known.begin(), known.end(), key) == known.end())
            throw std::invalid_argument("params: unknown key " + key);
    }
    return p;
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
        r.seq = routes[v].cast<std::vector<int>>();
        for (int node : r.seq) {
            if (node < 0 || node >= in.n_nodes())
                throw std::invalid_argument("initial: node out of range");
            seen[node] += 1;
            if (seen[node] > 1) throw std::invalid_argument("initial: a node appears twice");
            if (node & 1) {
                if (s.route_of[node >> 1] != v)
                    throw std::invalid_argument("initial: a dropoff before its pickup");
            } else {
                if (!in.can(node >> 1, v))
                    throw std::invalid_argument("initial: a request on a vehicle it may not use");
                s.route_of[node >> 1] = v;
            }
        }
        for (int node : r.seq) {
            if (!(node & 1) && !seen[node + 1])
                throw std::invalid_argument("initial: a pickup without its dropoff");
        }
        refresh(in, r);
        if (!loads_fit(in, v, r.seq) ||
            !timing.feasible(v, r.seq.data(), static_cast<int>(r.seq.size())))
            throw std::invalid_argument("initial: route of vehicle " + std::to_string(v) +
                                        " is infeasible");
    }
    return s;
}

py::dict solve(const py::dict& instance, const py::dict& params, const py::object& initial) {
    const Instance in = read_instance(instance);
    const Params p = read_params(params);
    Solution start;
    const bool warm = !initial.is_none();
    if (warm) start = read_initial(in, initial.cast<py::list>());
    Search search(in, p);
    Solution best;
    {
        py::gil_scoped_release release;
        best = search.run(warm ? &start : nullptr);
    }
    py::list routes;
    for (const Route& r : best.routes) routes.append(py::cast(r.seq));
    const Stats& st = search.stats();
    py::dict out;
    out["routes"] = routes;
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
    return out;
}

// For tests: the native exact timing verdict of one sequence.
bool sequence_feasible(const py::dict& instance, int vehicle, const std::vector<int>& seq) {
    const Instance in = read_instance(instance);
    if (vehicle < 0 || vehicle >= in.n_veh) throw std::invalid_argument("vehicle out of range");
    Timing timing(in);
    return loads_fit(in, vehicle, seq) &&
           timing.feasible(vehicle, seq.data(), static_cast<int>(seq.size()));
}

// For tests: every feasible insertion (delta, i, j) of request `req` into `seq` on
// `vehicle`, as the search enumerates them (cheap tests, then the exact check).
std::vector<std::tuple<i64, int, int>> feasible_insertions(const py::dict& instance, int vehicle,
                                                           const std::vector<int>& seq, int req) {
    const Instance in = read_instance(instance);
    if (vehicle < 0 || vehicle >= in.n_veh) throw std::invalid_argument("vehicle out of range");
    if (req < 0 || req >= in.n_req) throw std::invalid_argument("request out of range");
    Route r;
    r.v = vehicle;
    r.seq = seq;
    refresh(in, r);
    Inserter ins(in);
    std::vector<Insertion> found;
    ins.feasible_in_route(r, req, found);
    std::vector<std::tuple<i64, int, int>> out;
    for (const Insertion& x : found) out.emplace_back(x.delta, x.i, x.j);
    return out;
}

}  // namespace

PYBIND11_MODULE(_pdptw, m) {
    m.doc() = "Native pickup-and-delivery search: construction, route minimisation, ALNS.";
    m.def("solve", &solve, py::arg("instance"), py::arg("params"), py::arg("initial") = py::none());
    m.def("sequence_feasible", &sequence_feasible, py::arg("instance"), py::arg("vehicle"),
          py::arg("seq"));
    m.def("feasible_insertions", &feasible_insertions, py::arg("instance"), py::arg("vehicle"),
          py::arg("seq"), py::arg("request"));
}
