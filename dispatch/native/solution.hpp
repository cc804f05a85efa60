// A solution (one route per vehicle, requests possibly left out) and the cheapest
// feasible insertion of a request into a route.
//
// An insertion (i, j) puts the pickup before position i and the dropoff before
// position j of the current sequence (i <= j): seq[0:i] + p + seq[i:j] + d + seq[j:].
#pragma once

#include <algorithm>
#include <vector>

#include "instance.hpp"
#include "route.hpp"

namespace noriai {

struct Solution {
    std::vector<Route> routes;  // index = vehicle
    std::vector<int> route_of;  // per request: its vehicle, or -1 when left out

    // No request served; in the general mode each route holds its locked prefix (with
    // the requests entirely in it) and its vehicle's breaks.
    static Solution empty(const Instance& in) {
        Solution s;
        s.routes.resize(in.n_veh);
        s.route_of.assign(in.n_req, -1);
        for (int v = 0; v < in.n_veh; ++v) {
            Route& r = s.routes[v];
            r.v = v;
            if (in.general) {
                r.seq = in.prefix[v];
                r.seq.insert(r.seq.end(), in.v_breaks[v].begin(), in.v_breaks[v].end());
                for (int node : in.prefix[v]) {
                    if (in.mode[node >> 1] == Instance::kFixed) s.route_of[node >> 1] = v;
                }
            }
            refresh(in, r);
            if (in.general) improve_breaks(in, r);
        }
        return s;
    }

    i64 route_cost(const Instance& in, int v) const {
        const Route& r = routes[v];
        return r.empty() ? 0 : r.cost + in.v_fixed[v];
    }

    i64 objective(const Instance& in) const { return objective(in, in.v_fixed); }

    // The objective with other fixed costs per vehicle (LNS acceptance, see Search::lns).
    i64 objective(const Instance& in, const std::vector<i64>& fixed) const {
        i64 total = 0;
        for (int v = 0; v < in.n_veh; ++v) {
            if (!routes[v].empty()) total += routes[v].cost + fixed[v];
        }
        for (int r = 0; r < in.n_req; ++r) {
            if (route_of[r] < 0) total += in.penalty[r];
        }
        return total;
    }

    int used_vehicles() const {
        int n = 0;
        for (const Route& r : routes) n += r.empty() ? 0 : 1;
        return n;
    }

    int unassigned() const {
        return static_cast<int>(std::count(route_of.begin(), route_of.end(), -1));
    }

    // Pickup before position i, dropoff before position j (i < 0: the dropoff alone,
    // for a request whose pickup is done or locked).
    void insert(const Instance& in, int req, int v, int i, int j) {
        Route& r = routes[v];
        r.seq.insert(r.seq.begin() + j, 2 * req + 1);
        if (i >= 0) r.seq.insert(r.seq.begin() + i, 2 * req);
        refresh(in, r);
        if (in.general) improve_breaks(in, r);
        route_of[req] = v;
    }

    // The nodes of `req` that may move leave `seq` (locked ones stay).
    static void erase_request(const Instance& in, std::vector<int>& seq, int req) {
        if (in.general && in.mode[req] != Instance::kPair) {
            const auto it = std::find(seq.begin(), seq.end(), 2 * req + 1);
            if (it != seq.end() && in.movable(*it)) seq.erase(it);
            return;
        }
        seq.erase(std::remove_if(seq.begin(), seq.end(),
                                 [req](int node) { return (node >> 1) == req; }),
                  seq.end());
    }

    // Take requests out of their routes (one refresh per touched route).
    void remove(const Instance& in, const std::vector<int>& reqs) {
        for (int req : reqs) {
            const int v = route_of[req];
            if (v < 0) continue;
            if (in.general && in.mode[req] == Instance::kFixed) continue;
            erase_request(in, routes[v].seq, req);
            route_of[req] = -2 - v;  // marks the route as touched until refreshed below
        }
        for (int req : reqs) {
            const int mark = route_of[req];
            if (mark <= -2) {
                const int v = -2 - mark;
                refresh(in, routes[v]);
                if (in.general) improve_breaks(in, routes[v]);
                for (int other : reqs) {
                    if (route_of[other] == mark) route_of[other] = -1;
                }
            }
        }
    }

    // The requests of route v that may leave it (fast mode: all, by pickup order;
    // general mode: those with a movable dropoff, by dropoff order).
    std::vector<int> requests_of(const Instance& in, int v) const {
        std::vector<int> out;
        for (int node : routes[v].seq) {
            if (!in.general) {
                if (!(node & 1)) out.push_back(node >> 1);
            } else if (in.movable(node) && (node & 1)) {
                out.push_back(node >> 1);
            }
        }
        return out;
    }

    // Can every request stop of route v leave it (no lock, no rider bound to it)?
    bool removable_route(const Instance& in, int v) const {
        if (!in.general) return true;
        for (int node : routes[v].seq) {
            if (!in.is_break(node) && (!in.movable(node) || in.bound_request(node >> 1)))
                return false;
        }
        return true;
    }
};

struct Insertion {
    i64 delta = kInf;
    int v = -1, i = -1, j = -1;
    // false: the cheap tests' best, not yet timed exactly (`Inserter::cheapest`)
    bool checked = true;
    bool ok() const { return v >= 0; }
};

class Inserter {
  public:
    explicit Inserter(const Instance& in) : in_(in), timing_(in), fixed_(in.v_fixed) {}

    // The fixed cost an insertion into an empty route pays (default: the vehicle's).
    void set_fixed(const std::vector<i64>& fixed) { fixed_ = fixed; }

    // Routes searched for an insertion so far (`best_in_route` calls): the search's
    // measure of work, the same for a seed whatever the machine.
    long calls() const { return calls_; }

    // Every (delta, i, j) that passes the cheap tests: windows on the earliest schedule,
    // the latest starts downstream, capacity, and a lower bound on the ride time.
    template <class F>
    void for_each_candidate(const Route& r, int req, F&& emit) const {
        const Instance& in = in_;
        const int v = r.v;
        const int p = 2 * req, d = p + 1;
        const int n = r.size();
        const i64* q = in.req_load(req);
        const i64* cap = in.cap(v);
        for (int dim = 0; dim < kDims; ++dim) {
            if (q[dim] > cap[dim]) return;
        }
        const i64 ride = in.max_ride[req];
        const int lp = in.loc[p], ld = in.loc[d];
        const bool exact = in.exact_timing;
        // the stop at i follows the new pickup, so starts no earlier than its window
        // opens plus its service: positions whose latest start is earlier are skipped
        // (late_at never decreases along a route)
        const i64 after_p = in.early[p] + in.service[p];
        const int first = static_cast<int>(
            std::lower_bound(r.late_at.begin(), r.late_at.begin() + n + 1, after_p) -
            r.late_at.begin());
        for (int i = first; i <= n; ++i) {
            const int prev = location_at(in, r, i - 1);
            const i64 dep_prev =
                i == 0 ? in.v_early[v] : r.early_at[i - 1] + in.service[r.seq[i - 1]];
            if (dep_prev > in.late[p]) break;
            const i64 tp = std::max(in.early[p], dep_prev + in.t(prev, lp));
            if (tp > in.late[p]) continue;
            if (!fits(r, i - 1, q, cap)) continue;
            const i64 dep_p = tp + in.service[p];
            const int next_i = location_at(in, r, i);
            const i64 base = in.arc(v, prev, next_i);
            const i64 slack_i = exact ? r.ride_slack[i] : kInf;
            const i64 cut_i = in.t(prev, next_i);
            // the dropoff right after the pickup
            if (in.t(lp, ld) <= ride &&
                in.t(prev, lp) + in.service[p] + in.t(lp, ld) + in.service[d] + in.t(ld, next_i) -
                        cut_i <=
                    slack_i) {
                const i64 td = std::max(in.early[d], dep_p + in.t(lp, ld));
                if (td <= in.late[d]) {
                    const i64 arrive = td + in.service[d] + in.t(ld, next_i);
                    const i64 tn = i < n ? std::max(in.early[r.seq[i]], arrive) : arrive;
                    if (tn <= r.late_at[i]) {
                        emit(in.arc(v, prev, lp) + in.arc(v, lp, ld) + in.arc(v, ld, next_i) - base,
                             i, i);
                    }
                }
            }
            // the dropoff after seq[j - 1]
            if (in.t(prev, lp) + in.service[p] + in.t(lp, next_i) - cut_i > slack_i) continue;
            const i64 add_p = in.arc(v, prev, lp) + in.arc(v, lp, next_i) - base;
            i64 dep = dep_p;
            int at = lp;
            i64 ride_path = 0;
            for (int j = i + 1; j <= n; ++j) {
                const int k = j - 1;
                const int node = r.seq[k];
                const int lk = in.loc[node];
                if (!fits(r, k, q, cap)) break;
                const i64 tk = std::max(in.early[node], dep + in.t(at, lk));
                if (tk > r.late_at[k]) break;
                ride_path += in.t(at, lk) + in.service[node];
                if (ride_path > ride) break;
                dep = tk + in.service[node];
                at = lk;
                if (dep > in.late[d]) break;
                if (ride_path + in.t(lk, ld) > ride) continue;
                const i64 td = std::max(in.early[d], dep + in.t(lk, ld));
                if (td > in.late[d]) continue;
                const int next_j = location_at(in, r, j);
                if (exact && in.t(lk, ld) + in.service[d] + in.t(ld, next_j) - in.t(lk, next_j) >
                                 r.ride_slack[j])
                    continue;
                const i64 arrive = td + in.service[d] + in.t(ld, next_j);
                const i64 tn = j < n ? std::max(in.early[r.seq[j]], arrive) : arrive;
                if (tn > r.late_at[j]) continue;
                emit(add_p + in.arc(v, lk, ld) + in.arc(v, ld, next_j) - in.arc(v, lk, next_j), i,
                     j);
            }
        }
    }

    // General mode: every feasible (delta, i, j) by the exact cost of the whole route
    // (i = -1: the dropoff alone, on its bound vehicle, or a visit's one stop on any
    // vehicle). Candidates are cut only by capacity and by lower bounds on the arrival
    // at the new stops, then timed and costed in full.
    template <class F>
    void general_candidates(const Route& r, int req, F&& emit) {
        const Instance& in = in_;
        const int v = r.v;
        if (in.v_closed[v] || in.mode[req] == Instance::kFixed) return;
        const int n = r.size();
        const int p = 2 * req, d = p + 1;
        const int lp = in.loc[p], ld = in.loc[d];
        const i64 base = r.empty() ? 0 : r.cost;
        // a lower bound on the arrival at a stop at `loc` put before position k (after
        // the stop or break at k - 1, and the drive from the last stop with the breaks
        // since: a break may be taken anywhere on its leg)
        const auto arrival = [&](int k, int loc) {
            if (k == 0) return in.v_early[v] + in.t(in.v_start[v], loc);
            const i64 dep = r.early_at[k - 1] + in.node_service(r.seq[k - 1]);
            const i64 drive = in.t(r.loc_at[k - 1], loc);
            if (!in.legs) return dep + drive;  // the drive follows the breaks
            return std::max(dep, r.real_dep_at[k - 1] + drive + r.rest_at[k - 1]);
        };
        i64 c = 0;
        if (in.mode[req] == Instance::kDropOnly || in.mode[req] == Instance::kSingle) {
            if (in.mode[req] == Instance::kDropOnly && in.bound[req] != v) return;
            for (int j = r.lock_end; j <= n; ++j) {
                if (arrival(j, ld) > in.late[d]) break;
                buf_.assign(r.seq.begin(), r.seq.begin() + j);
                buf_.push_back(d);
                buf_.insert(buf_.end(), r.seq.begin() + j, r.seq.end());
                if (!r.feasible && !loads_fit(in, v, buf_)) continue;  // an overload to lift
                if (timer().evaluate(in, v, buf_.data(), n + 1, c)) emit(c - base, -1, j);
            }
            return;
        }
        const i64* q = in.req_load(req);
        const i64* cap = in.cap(v);
        for (int i = r.lock_end; i <= n; ++i) {
            if (arrival(i, lp) > in.late[p]) break;
            if (!fits_general(r, i - 1, q, cap)) continue;
            for (int j = i; j <= n; ++j) {
                if (j > i) {
                    if (!fits_general(r, j - 1, q, cap)) break;
                    if (arrival(j, ld) > in.late[d]) break;
                }
                build(r, req, i, j, buf_);
                if (!r.feasible && !loads_fit(in, v, buf_)) continue;
                if (timer().evaluate(in, v, buf_.data(), n + 2, c)) emit(c - base, i, j);
            }
        }
    }

    // The cheapest feasible insertion of `req` into `r` costing less than `bound`
    // (the vehicle's fixed cost included when the route is empty; in the fast mode so
    // is the drive from its start to its end, which the detour of the first request is
    // measured against but an unused vehicle never makes).
    Insertion best_in_route(const Route& r, int req, i64 bound = kInf) {
        ++calls_;
        return best_checked(r, req, bound);
    }

    // The cheapest insertion by the cheap tests alone, `checked` false when the exact
    // timing is still to be checked (`settle`): it is a lower bound on `best_in_route`,
    // and equal to it nearly always (99.5 % of exact checks pass on Cordeau a8-96), so
    // a repair that times only the insertions its choice depends on makes the same
    // choices with a fraction of the exact checks.
    Insertion cheapest(const Route& r, int req) {
        if (!in_.exact_timing || in_.general) return best_in_route(r, req);
        ++calls_;
        return least_candidate(r, req, kInf, false);
    }

    // `x` from `cheapest`, timed: itself when it keeps the exact timing, else the
    // cheapest that does (the same as `best_in_route` would have found).
    Insertion settle(const Route& r, int req, const Insertion& x) {
        if (x.checked || !x.ok()) return x;
        if (check(r, req, x.i, x.j)) return {x.delta, x.v, x.i, x.j, true};
        return best_checked(r, req, kInf);
    }

  private:
    // The fixed cost an insertion into `r` pays (see `best_in_route`).
    i64 entry_cost(const Route& r) const {
        i64 fixed = r.empty() ? fixed_[r.v] : 0;
        if (r.empty() && !in_.general) fixed += in_.arc(r.v, in_.v_start[r.v], in_.v_end[r.v]);
        return fixed;
    }

    // The fast mode's least (delta, i, j) by the cheap tests, under `bound`, marked
    // `checked` as given (exact where the cheap tests are).
    Insertion least_candidate(const Route& r, int req, i64 bound, bool checked) {
        const i64 fixed = entry_cost(r);
        Insertion best;
        best.delta = bound;
        for_each_candidate(r, req, [&](i64 delta, int i, int j) {
            if (delta + fixed < best.delta) best = {delta + fixed, r.v, i, j, checked};
        });
        return best.ok() ? best : Insertion{};
    }

    Insertion best_checked(const Route& r, int req, i64 bound) {
        if (in_.general) {
            const i64 fixed = entry_cost(r);
            Insertion best;
            best.delta = bound;
            general_candidates(r, req, [&](i64 delta, int i, int j) {
                if (delta + fixed < best.delta) best = {delta + fixed, r.v, i, j};
            });
            return best.ok() ? best : Insertion{};
        }
        if (!in_.exact_timing) return least_candidate(r, req, bound, true);
        const i64 fixed = entry_cost(r);
        cands_.clear();
        for_each_candidate(r, req, [&](i64 delta, int i, int j) {
            if (delta + fixed < bound) cands_.push_back({delta + fixed, r.v, i, j});
        });
        // cheapest first until one keeps the exact timing: a heap, as most calls stop
        // at the first or second candidate of many
        const auto dearer = [](const Insertion& a, const Insertion& b) {
            return a.delta > b.delta || (a.delta == b.delta && (a.i > b.i || (a.i == b.i && a.j > b.j)));
        };
        std::make_heap(cands_.begin(), cands_.end(), dearer);
        while (!cands_.empty()) {
            std::pop_heap(cands_.begin(), cands_.end(), dearer);
            const Insertion c = cands_.back();
            cands_.pop_back();
            if (check(r, req, c.i, c.j)) return c;
        }
        return {};
    }

  public:
    // Exact timing check of one candidate (always true when the cheap tests are exact).
    bool check(const Route& r, int req, int i, int j) {
        if (!in_.exact_timing || in_.general) return true;
        build(r, req, i, j, buf_);
        return timing_.feasible(r.v, buf_.data(), static_cast<int>(buf_.size()));
    }

    // All feasible insertions of `req` into `r` (for random moves).
    void feasible_in_route(const Route& r, int req, std::vector<Insertion>& out) {
        if (in_.general) {
            general_candidates(r, req, [&](i64 delta, int i, int j) {
                out.push_back({delta, r.v, i, j});
            });
            return;
        }
        const std::size_t first = out.size();
        for_each_candidate(r, req, [&](i64 delta, int i, int j) {
            out.push_back({delta, r.v, i, j});
        });
        if (!in_.exact_timing) return;
        std::size_t keep = first;
        for (std::size_t k = first; k < out.size(); ++k) {
            if (check(r, req, out[k].i, out[k].j)) out[keep++] = out[k];
        }
        out.resize(keep);
    }

    static void build(const Route& r, int req, int i, int j, std::vector<int>& out) {
        out.clear();
        out.insert(out.end(), r.seq.begin(), r.seq.begin() + i);
        out.push_back(2 * req);
        out.insert(out.end(), r.seq.begin() + i, r.seq.begin() + j);
        out.push_back(2 * req + 1);
        out.insert(out.end(), r.seq.begin() + j, r.seq.end());
    }

    Timing& timing() { return timing_; }

  private:
    bool fits_general(const Route& r, int k, const i64* q, const i64* cap) const {
        const i64* init = in_.init_load(r.v);
        for (int dim = 0; dim < kDims; ++dim) {
            const i64 on = k < 0 ? init[dim] : r.load_after(k, dim);
            if (on + q[dim] > cap[dim]) return false;
        }
        return true;
    }

    static bool fits(const Route& r, int k, const i64* q, const i64* cap) {
        for (int dim = 0; dim < kDims; ++dim) {
            if (r.load_after(k, dim) + q[dim] > cap[dim]) return false;
        }
        return true;
    }

    long calls_ = 0;
    const Instance& in_;
    Timing timing_;
    std::vector<i64> fixed_;
    std::vector<Insertion> cands_;
    std::vector<int> buf_;
};

}  // namespace noriai
