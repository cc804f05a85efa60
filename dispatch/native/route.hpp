// One vehicle's route with the caches that make insertion checks cheap.
//
// `early_at[k]` is the earliest service start at position k when the vehicle leaves
// as early as it may; `late_at[k]` the latest start that still lets the rest of the
// route keep its windows and the end deadline (`late_at[n]` bounds the end arrival).
// Without ride limits or duration caps the two decide feasibility exactly; with them
// they are necessary conditions and `Timing::feasible` settles each candidate.
#pragma once

#include <algorithm>
#include <vector>

#include "general.hpp"
#include "instance.hpp"

namespace noriai {

struct Route {
    int v = 0;
    std::vector<int> seq;       // nodes in visiting order, depots excluded
    std::vector<i64> early_at;  // n
    std::vector<i64> late_at;   // n + 1
    std::vector<i64> load_at;   // n * kDims: load after serving position k
    // ride_slack[k]: how much longer the leg into position k (k = n: into the end) may
    // get before some rider on board over it exceeds a ride limit, even without waiting
    std::vector<i64> ride_slack;
    i64 cost = 0;               // arc costs, without the fixed cost
    int n_real = 0;             // request stops (the route is used when > 0)
    // general mode: positions before this are locked (request stops go after it), the
    // location each position leaves from, and whether the exact timing holds
    int lock_end = 0;
    std::vector<int> loc_at;
    // general mode, after position k: the departure from the last request stop (or the
    // earliest departure) and the breaks since, all lower bounds: a stop put after k
    // arrives no earlier than real_dep_at[k] + travel + rest_at[k] (breaks ride the leg)
    std::vector<i64> real_dep_at, rest_at;
    bool feasible = true;

    int size() const { return static_cast<int>(seq.size()); }
    bool empty() const { return n_real == 0; }
    i64 load_after(int k, int dim) const {
        return k < 0 ? 0 : load_at[static_cast<std::size_t>(k) * kDims + dim];
    }
};

inline int location_at(const Instance& in, const Route& r, int k) {
    if (k < 0) return in.v_start[r.v];
    if (k >= r.size()) return in.v_end[r.v];
    if (in.general) return r.loc_at[k];
    return in.loc[r.seq[k]];
}

// A route whose exact timing fails costs this much (never better than a feasible plan).
constexpr i64 kBadRoute = kInf / 256;

void refresh_general(const Instance& in, Route& r);

inline i64 load_sign(int node) { return (node & 1) ? -1 : 1; }

// The least ride slack over each leg (see Route::ride_slack); O(n * riders).
inline void ride_slacks(const Instance& in, Route& r) {
    const int n = r.size();
    r.ride_slack.assign(n + 1, kInf);
    // arrive[k]: arrival at position k if nobody ever waited
    static thread_local std::vector<i64> arrive;
    arrive.resize(n);
    i64 at = 0;
    int prev = in.v_start[r.v];
    i64 prev_service = 0;
    for (int k = 0; k < n; ++k) {
        at += prev_service + in.t(prev, in.loc[r.seq[k]]);
        arrive[k] = at;
        prev = in.loc[r.seq[k]];
        prev_service = in.service[r.seq[k]];
    }
    for (int b = 0; b < n; ++b) {
        const int node = r.seq[b];
        if (!(node & 1) || in.max_ride[node >> 1] >= kInf) continue;
        int a = b - 1;
        while (a >= 0 && r.seq[a] != node - 1) --a;
        if (a < 0) continue;
        const i64 slack = in.max_ride[node >> 1] - (arrive[b] - arrive[a] - in.service[node - 1]);
        for (int k = a + 1; k <= b; ++k) r.ride_slack[k] = std::min(r.ride_slack[k], slack);
    }
}

// Recompute every cache of `r` from its sequence.
inline void refresh(const Instance& in, Route& r) {
    if (in.general) {
        refresh_general(in, r);
        return;
    }
    const int n = r.size();
    r.n_real = n;
    r.early_at.resize(n);
    r.late_at.resize(n + 1);
    r.load_at.resize(static_cast<std::size_t>(n) * kDims);
    i64 t = in.v_early[r.v];
    i64 dep = t;
    int prev = in.v_start[r.v];
    i64 cost = 0;
    i64 ld[kDims] = {0, 0, 0};
    for (int k = 0; k < n; ++k) {
        const int node = r.seq[k];
        const int l = in.loc[node];
        t = std::max(in.early[node], dep + in.t(prev, l));
        r.early_at[k] = t;
        dep = t + in.service[node];
        cost += in.arc(r.v, prev, l);
        prev = l;
        const i64* q = in.req_load(node >> 1);
        for (int dim = 0; dim < kDims; ++dim) {
            ld[dim] += load_sign(node) * q[dim];
            r.load_at[static_cast<std::size_t>(k) * kDims + dim] = ld[dim];
        }
    }
    cost += in.arc(r.v, prev, in.v_end[r.v]);
    r.cost = n ? cost : 0;
    if (in.exact_timing) ride_slacks(in, r);
    i64 late = in.v_late[r.v];
    r.late_at[n] = late;
    int next = in.v_end[r.v];
    for (int k = n - 1; k >= 0; --k) {
        const int node = r.seq[k];
        const int l = in.loc[node];
        late = std::min(in.late[node], late - in.service[node] - in.t(l, next));
        r.late_at[k] = late;
        next = l;
    }
}

// Exact timing of a stop sequence: a simple temporal problem solved by raising lower
// bounds to their least fixed point (windows, end deadline, ride limits, duration).
class Timing {
  public:
    explicit Timing(const Instance& in) : in_(in), pos_(in.n_nodes(), -1) {}

    // Can `v` serve `seq` in this order keeping every time constraint?
    bool feasible(int v, const int* seq, int n) {
        if (n == 0) return true;
        lo_.resize(n);
        hi_.resize(n);
        gap_.resize(n + 1);
        t_.resize(n);
        pairs_.clear();
        int prev = in_.v_start[v];
        i64 prev_service = 0;
        for (int k = 0; k < n; ++k) {
            const int node = seq[k];
            gap_[k] = prev_service + in_.t(prev, in_.loc[node]);
            prev = in_.loc[node];
            prev_service = in_.service[node];
            lo_[k] = in_.early[node];
            hi_[k] = in_.late[node];
            if (node & 1) {
                const int p = pos_[node - 1];
                const i64 ride = in_.max_ride[node >> 1];
                if (p >= 0 && ride < kInf) pairs_.push_back({p, k, in_.service[node - 1] + ride});
            } else {
                pos_[node] = k;
            }
        }
        for (int k = 0; k < n; ++k) {
            if (!(seq[k] & 1)) pos_[seq[k]] = -1;
        }
        gap_[n] = prev_service + in_.t(prev, in_.v_end[v]);
        const i64 max_dur = in_.v_max_dur[v];
        i64 t0 = in_.v_early[v];
        // each round re-times the stops from the first whose lower bound rose (the
        // stops before it keep their times)
        int from = 0;
        for (int round = 0; round < kMaxRounds; ++round) {
            i64 at = from == 0 ? t0 : t_[from - 1];
            for (int k = from; k < n; ++k) {
                at = std::max(lo_[k], at + gap_[k]);
                if (at > hi_[k]) return false;
                t_[k] = at;
            }
            const i64 end = at + gap_[n];
            if (end > in_.v_late[v]) return false;
            from = n;
            for (const Pair& pr : pairs_) {
                if (t_[pr.d] - t_[pr.p] > pr.limit) {
                    lo_[pr.p] = std::max(lo_[pr.p], t_[pr.d] - pr.limit);
                    from = std::min(from, pr.p);
                }
            }
            if (max_dur < kInf && end - t0 > max_dur) {
                t0 = end - max_dur;
                from = 0;
            }
            if (from == n) return true;
        }
        return false;
    }

  private:
    struct Pair {
        int p, d;
        i64 limit;
    };
    static constexpr int kMaxRounds = 200;
    const Instance& in_;
    std::vector<int> pos_;
    std::vector<i64> lo_, hi_, gap_, t_;
    std::vector<Pair> pairs_;
};

// General mode: loads from the initial load, lower bounds on each start (breaks after
// the first stop timed on the route, on their legs, leading ones ignored, no ride limits:
// a bound that inserting a stop never lowers when travel times keep the triangle
// inequality), locations, lock end, exact cost.
inline void refresh_general(const Instance& in, Route& r) {
    const int n = r.size();
    const int v = r.v;
    r.early_at.resize(n);
    r.loc_at.resize(n);
    r.real_dep_at.resize(n);
    r.rest_at.resize(n);
    r.load_at.resize(static_cast<std::size_t>(n) * kDims);
    i64 ld[kDims];
    for (int dim = 0; dim < kDims; ++dim) ld[dim] = in.init_load(v)[dim];
    i64 dep = in.v_early[v];
    i64 real_dep = dep, rest = 0;
    int at = in.v_start[v];
    r.n_real = 0;
    r.lock_end = 0;
    for (int k = 0; k < n; ++k) {
        const int node = r.seq[k];
        if (in.is_break(node) && r.n_real == 0) {
            // a leading break may be taken before the start, even before the earliest
            // departure: it bounds nothing (and a stop put before it makes it a middle one)
            r.early_at[k] = dep - in.node_service(node);
        } else if (in.is_break(node)) {
            r.early_at[k] = std::max(in.node_early(node), dep);
            rest += in.node_service(node);
        } else {
            ++r.n_real;
            if (in.locked_node[node]) r.lock_end = k + 1;
            // (without legs the drive follows the breaks)
            r.early_at[k] = in.legs ? std::max({in.early[node], dep,
                                                real_dep + in.t(at, in.loc[node]) + rest})
                                    : std::max(in.early[node], dep + in.t(at, in.loc[node]));
            at = in.loc[node];
            real_dep = r.early_at[k] + in.service[node];
            rest = 0;
            const i64* q = in.req_load(node >> 1);
            for (int dim = 0; dim < kDims; ++dim) ld[dim] += load_sign(node) * q[dim];
        }
        dep = r.early_at[k] + in.node_service(node);
        r.real_dep_at[k] = real_dep;
        r.rest_at[k] = rest;
        r.loc_at[k] = at;
        for (int dim = 0; dim < kDims; ++dim)
            r.load_at[static_cast<std::size_t>(k) * kDims + dim] = ld[dim];
    }
    // taking out the dropoff of a rider whose pickup is locked (or done) leaves them
    // on board to the end: the loads after it may then exceed the capacity
    bool fits = true;
    const i64* cap = in.cap(v);
    for (std::size_t k = 0; k < r.load_at.size() && fits; ++k) fits = r.load_at[k] <= cap[k % kDims];
    i64 cost = 0;
    r.feasible = fits && timer().evaluate(in, v, r.seq.data(), n, cost);
    r.cost = r.feasible ? cost : kBadRoute;
}

// General mode: move each break of a used route to its cheapest feasible position.
inline void improve_breaks(const Instance& in, Route& r) {
    if (r.empty() || in.v_breaks[r.v].empty()) return;
    static thread_local std::vector<int> trial, best;
    for (int b : in.v_breaks[r.v]) {
        const auto it = std::find(r.seq.begin(), r.seq.end(), b);
        if (it == r.seq.end()) continue;
        const int from = static_cast<int>(it - r.seq.begin());
        i64 best_cost = r.cost;
        int best_at = from;
        trial = r.seq;
        trial.erase(trial.begin() + from);
        for (int k = 0; k <= static_cast<int>(trial.size()); ++k) {
            if (k == from) continue;
            trial.insert(trial.begin() + k, b);
            i64 c = 0;
            if (timer().evaluate(in, r.v, trial.data(), static_cast<int>(trial.size()), c) &&
                c < best_cost) {
                best_cost = c;
                best_at = k;
            }
            trial.erase(trial.begin() + k);
        }
        if (best_at != from) {
            r.seq.erase(r.seq.begin() + from);
            r.seq.insert(r.seq.begin() + best_at, b);
            refresh_general(in, r);
        }
    }
}

// Capacity of every dimension holds along the whole sequence.
inline bool loads_fit(const Instance& in, int v, const std::vector<int>& seq) {
    i64 ld[kDims];
    for (int dim = 0; dim < kDims; ++dim) ld[dim] = in.init_load(v)[dim];
    const i64* cap = in.cap(v);
    for (int node : seq) {
        if (in.is_break(node)) continue;
        const i64* q = in.req_load(node >> 1);
        for (int dim = 0; dim < kDims; ++dim) {
            ld[dim] += load_sign(node) * q[dim];
            if (ld[dim] > cap[dim]) return false;
        }
    }
    return true;
}

}  // namespace noriai
