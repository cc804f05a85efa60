// Exact timing and cost of one route in the general mode, as the Python plan has them.
//
// A route's sequence may hold break nodes. It is read in three parts:
// - leading breaks (before the first request stop) are taken before the route starts:
//   the departure is then at least max(window start, shift start) + duration, which is
//   what `dispatch.check` accepts for a break that is not a step;
// - the middle (first to last request stop, with the breaks between) is timed exactly
//   as `dispatch.schedule.schedule` times a sequence: a break has zero travel and holds
//   the vehicle for its duration; travel continues from the last real stop; windows,
//   ride limits and the duration cap by raising lower bounds to their least fixed
//   point, then pickups, breaks and the departure relaxed as late as the next stop allows;
// - trailing breaks are taken after the route ends when each fits there (start in its
//   window, end within the shift), else they are timed on the route like middle ones.
//
// The cost is that of `dispatch.result.build_route` / `build_plan`: `v_rate_dist` per
// metre, `v_rate_dur` per second from the departure to the end arrival (waiting and
// breaks on the route included), and `excess_rate` per second of ride beyond the direct
// time. `dispatch.native` builds the Python plan by the same three-part rule.
#pragma once

#include <algorithm>
#include <vector>

#include "instance.hpp"

namespace noriai {

// The schedule of a node sequence (request stops and breaks), as dispatch.schedule.
struct Sched {
    std::vector<i64> t;  // service (break) starts after relaxing
    i64 departure = 0;
    i64 end = 0;         // arrival at the end location on the earliest schedule
};

class Timer {
  public:
    // Times `nodes` on `v` leaving no earlier than `t0`; false when infeasible.
    bool schedule(const Instance& in, int v, const int* nodes, int n, i64 t0, Sched& out) {
        gap_.resize(n + 1);
        lo_.resize(n);
        hi_.resize(n);
        out.t.resize(n);
        pairs_.clear();
        if (static_cast<int>(pos_.size()) < in.n_nodes()) pos_.assign(in.n_nodes(), -1);
        int last = in.v_start[v];
        i64 prev_service = 0;
        for (int k = 0; k < n; ++k) {
            const int node = nodes[k];
            if (in.is_break(node)) {
                gap_[k] = prev_service;
            } else {
                gap_[k] = prev_service + in.t(last, in.loc[node]);
                last = in.loc[node];
            }
            prev_service = in.node_service(node);
            lo_[k] = in.node_early(node);
            hi_[k] = in.node_late(node);
            if (in.is_break(node)) continue;
            if (node & 1) {
                const int p = pos_[node - 1];
                const i64 ride = in.max_ride[node >> 1];
                if (p >= 0 && ride < kInf) pairs_.push_back({p, k, in.service[node - 1] + ride});
            } else {
                pos_[node] = k;
            }
        }
        for (int k = 0; k < n; ++k) {
            if (!in.is_break(nodes[k]) && !(nodes[k] & 1)) pos_[nodes[k]] = -1;
        }
        gap_[n] = prev_service + in.t(last, in.v_end[v]);
        const i64 max_dur = in.v_max_dur[v];
        i64* t = out.t.data();
        i64 end = 0;
        bool settled = false;
        for (int round = 0; round < kMaxRounds && !settled; ++round) {
            i64 at = t0;
            for (int k = 0; k < n; ++k) {
                at = std::max(lo_[k], at + gap_[k]);
                if (at > hi_[k]) return false;
                t[k] = at;
            }
            end = at + gap_[n];
            if (end > in.v_late[v]) return false;
            bool changed = false;
            for (const Pair& pr : pairs_) {
                if (t[pr.d] - t[pr.p] > pr.limit) {
                    lo_[pr.p] = std::max(lo_[pr.p], t[pr.d] - pr.limit);
                    changed = true;
                }
            }
            if (max_dur < kInf && end - t0 > max_dur) {
                t0 = end - max_dur;
                changed = true;
            }
            settled = !changed;
        }
        if (!settled) return false;
        i64 nxt = end;
        for (int k = n - 1; k >= 0; --k) {
            const int node = nodes[k];
            if (in.is_break(node) || !(node & 1)) t[k] = std::max(t[k], std::min(hi_[k], nxt - gap_[k + 1]));
            nxt = t[k];
        }
        out.departure = std::max(t0, nxt - gap_[0]);
        out.end = end;
        return true;
    }

    // Exact cost of `seq` on `v` (without the fixed cost); false when infeasible.
    // The route leaves no earlier than `start()`: the earliest departure (raised by the
    // leading breaks) or, when cheaper, the latest one that keeps the sequence feasible
    // (idle waiting before a late window then moves to before the start, as OR-Tools'
    // finalizers do); `on_route()` says whether the trailing breaks are on the route.
    bool evaluate(const Instance& in, int v, const int* seq, int n, i64& cost) {
        int first = -1, last = -1;
        for (int k = 0; k < n; ++k) {
            if (!in.is_break(seq[k])) {
                if (first < 0) first = k;
                last = k;
            }
        }
        start_ = in.v_early[v];
        on_route_ = false;
        if (first < 0) {
            cost = 0;
            return true;
        }
        i64 t0 = in.v_early[v];
        for (int k = 0; k < first; ++k) {
            const int b = in.brk(seq[k]);
            const i64 lo = std::max(in.b_early[b], in.v_shift_start[v]);
            if (lo > in.b_late[b]) return false;
            t0 = std::max(t0, lo + in.b_dur[b]);
        }
        bool on_route = false;
        if (!eval_at(in, v, seq, n, first, last, t0, cost, on_route)) return false;
        start_ = t0;
        on_route_ = on_route;
        // the latest departure the windows allow (ride limits may cut it: bisect then),
        // from the gaps and upper bounds of the schedule just computed
        const int n_timed = on_route ? n - first : last - first + 1;
        i64 late = in.v_late[v];
        for (int k = n_timed - 1; k >= 0; --k) late = std::min(hi_[k], late - gap_[k + 1]);
        const i64 t_max = late - gap_[0];
        if (t_max <= t0) return true;
        i64 c = 0;
        bool r = false;
        i64 ok_t = -1;
        if (eval_at(in, v, seq, n, first, last, t_max, c, r)) {
            ok_t = t_max;
        } else {
            i64 lo = t0, hi = t_max;  // feasible at lo, not at hi
            for (int step = 0; step < kBisect && hi - lo > 1; ++step) {
                const i64 mid_t = lo + (hi - lo) / 2;
                if (eval_at(in, v, seq, n, first, last, mid_t, c, r)) lo = mid_t;
                else hi = mid_t;
            }
            if (lo > t0 && eval_at(in, v, seq, n, first, last, lo, c, r)) ok_t = lo;
        }
        if (ok_t >= 0 && c < cost) {
            cost = c;
            start_ = ok_t;
            on_route_ = r;
        }
        return true;
    }

    i64 start() const { return start_; }
    bool on_route() const { return on_route_; }

  private:
    // The cost of the route leaving no earlier than t0: trailing breaks after the end
    // when each fits there, else on the route.
    bool eval_at(const Instance& in, int v, const int* seq, int n, int first, int last, i64 t0,
                 i64& cost, bool& on_route) {
        const int* mid = seq + first;
        const int n_mid = last - first + 1;
        if (!schedule(in, v, mid, n_mid, t0, sched_)) return false;
        const int last_node = seq[last];
        const int last_loc = in.loc[last_node];
        const i64 home = sched_.t[n_mid - 1] + in.service[last_node] + in.t(last_loc, in.v_end[v]);
        bool after_ok = true;
        for (int k = last + 1; k < n && after_ok; ++k) {
            const int b = in.brk(seq[k]);
            const i64 s = std::max(in.b_early[b], home);
            after_ok = s <= in.b_late[b] && s + in.b_dur[b] <= in.v_late[v];
        }
        i64 end_t = home;
        on_route = !after_ok;
        if (on_route) {
            if (!schedule(in, v, mid, n - first, t0, sched_)) return false;
            end_t = sched_.t[n_mid - 1] + in.service[last_node] + in.t(last_loc, in.v_end[v]);
            for (int k = last + 1; k < n; ++k) end_t += in.b_dur[in.brk(seq[k])];
        }
        if (static_cast<int>(picked_.size()) < in.n_req) picked_.assign(in.n_req, -1);
        i64 dist = 0;
        int at = in.v_start[v];
        i64 excess_cost = 0;
        for (int k = 0; k < n_mid; ++k) {
            const int node = mid[k];
            if (in.is_break(node)) continue;
            dist += in.d(at, in.loc[node]);
            at = in.loc[node];
            const int r = node >> 1;
            if (in.excess_rate[r] == 0) continue;
            if (!(node & 1)) {
                picked_[r] = sched_.t[k] + in.service[node];
                continue;
            }
            const i64 picked = picked_[r] >= 0 ? picked_[r] : in.onboard_dep[r];
            if (picked < 0) continue;
            excess_cost += in.excess_rate[r] * std::max<i64>(0, sched_.t[k] - picked - in.direct[r]);
        }
        for (int k = 0; k < n_mid; ++k) {
            if (!in.is_break(mid[k])) picked_[mid[k] >> 1] = -1;
        }
        dist += in.d(at, in.v_end[v]);
        cost = in.v_rate_dist[v] * dist + in.v_rate_dur[v] * (end_t - sched_.departure) + excess_cost;
        return true;
    }

    struct Pair {
        int p, d;
        i64 limit;
    };
    static constexpr int kMaxRounds = 200;
    static constexpr int kBisect = 12;
    i64 start_ = 0;
    bool on_route_ = false;
    std::vector<int> pos_;
    std::vector<i64> picked_;
    std::vector<i64> gap_, lo_, hi_;
    std::vector<Pair> pairs_;
    Sched sched_;
};

inline Timer& timer() {
    static thread_local Timer t;
    return t;
}

}  // namespace noriai
