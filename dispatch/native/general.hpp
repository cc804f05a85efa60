// Exact timing and cost of one route in the general mode, as the Python plan has them.
//
// A route's sequence may hold break nodes. It is read in three parts:
// - leading breaks (before the first request stop) are taken before the route starts:
//   the departure is then at least max(window start, shift start) + duration, which is
//   what `dispatch.check` accepts for a break that is not a step; only when that cannot
//   be, on the way to the first stop (as steps of the route);
// - the middle (first to last request stop, with the breaks between) is timed exactly
//   as `dispatch.schedule.schedule` times a sequence (its `legs` is the instance's): a
//   break holds the vehicle for its duration anywhere on its leg, before the drive on
//   or, with `legs` (the plan's and the checker's rule, OR-Tools' too), after it;
//   windows, ride limits and the duration cap by raising lower bounds to their least
//   fixed point, then pickups, breaks and the departure relaxed as late as the next stop
//   allows (a break no later than lets it come before the drive);
// - trailing breaks are taken after the route ends when each fits there (start in its
//   window, end within the shift), else they are timed on the route like middle ones;
//   the departure is the cheapest of the earliest, the latest the windows allow and the
//   latest that keeps the trailing breaks after the end.
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

// The schedule of a node sequence (request stops and breaks), as dispatch.schedule
// (its ``legs`` switch is the instance's).
struct Sched {
    std::vector<i64> t;  // service (break) starts after relaxing
    i64 departure = 0;
    i64 end = 0;         // arrival at the end location on the earliest schedule
};

class Timer {
  public:
    // Times `nodes` on `v` leaving no earlier than `t0`; false when infeasible.
    // With the instance's `legs`, a break lies anywhere on its leg (between the
    // departure from the last request stop, or the start, and the arrival at the next,
    // or the end): it starts no earlier than the previous node ends, the next node
    // starts no earlier than it ends, and the next request stop no earlier than the last
    // one's departure plus the travel plus the breaks between (the vehicle may drive
    // first and rest where it arrives). Without, the drive follows the breaks.
    bool schedule(const Instance& in, int v, const int* nodes, int n, i64 t0, Sched& out) {
        return in.legs ? schedule_as<true>(in, v, nodes, n, t0, out)
                       : schedule_as<false>(in, v, nodes, n, t0, out);
    }

    // The latest departure that the windows of the `n` nodes just scheduled allow, by
    // the same edges backwards (ride limits and duration caps aside).
    i64 latest_departure(const Instance& in, int v, const int* nodes, int n) {
        late_.resize(n + 1);
        late_[n] = in.v_late[v];
        int next_real = n;  // the next request stop after k, or the end
        for (int k = n - 1; k >= 0; --k) {
            late_[k] = std::min(e_[k].hi, late_[k + 1] - e_[k + 1].link);
            if (in.is_break(nodes[k])) continue;
            if (skips_ && e_[next_real].from == k)
                late_[k] = std::min(late_[k], late_[next_real] - leg_[next_real].skip);
            next_real = k;
        }
        i64 dep = late_[0] - e_[0].link;
        if (skips_ && e_[next_real].from == -1)
            dep = std::min(dep, late_[next_real] - leg_[next_real].skip);
        return dep;
    }

  private:
    template <bool legs>
    bool schedule_as(const Instance& in, int v, const int* nodes, int n, i64 t0, Sched& out) {
        e_.resize(n + 1);
        if (legs) leg_.resize(n + 1);
        out.t.resize(n);
        pairs_.clear();
        if (static_cast<int>(pos_.size()) < in.n_nodes()) pos_.assign(in.n_nodes(), -1);
        int last = in.v_start[v];
        int last_real = -1;  // -1: the departure
        i64 prev_service = 0, real_service = 0, rest = 0;
        bool prev_real = true;  // the start counts as a stop: travel follows it
        skips_ = false;
        for (int k = 0; k <= n; ++k) {
            Edge& e = e_[k];
            const bool end = k == n;
            const int node = end ? -1 : nodes[k];
            const bool brk = !end && in.is_break(node);
            const i64 travel = brk ? 0 : in.t(last, end ? in.v_end[v] : in.loc[node]);
            e.link = prev_service + (!brk && (prev_real || !legs) ? travel : 0);
            e.from = kNoSkip;
            if (legs) {
                // a stop right after breaks: its drive may come before them
                leg_[k] = {real_service + travel + rest, travel};
                if (!brk && !prev_real) {
                    e.from = last_real;
                    skips_ = true;
                }
            }
            if (end) break;
            const i64 service = in.node_service(node);
            e.lo = in.node_early(node);
            e.hi = in.node_late(node);
            prev_service = service;
            prev_real = !brk;
            if (brk) {
                rest += service;
                continue;
            }
            rest = 0;
            real_service = service;
            last = in.loc[node];
            last_real = k;
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
        const i64 max_dur = in.v_max_dur[v];
        i64* t = out.t.data();
        i64 end = 0;
        bool settled = false;
        for (int round = 0; round < kMaxRounds && !settled; ++round) {
            i64 at = t0;
            for (int k = 0; k < n; ++k) {
                const Edge& e = e_[k];
                at += e.link;
                if (legs && skips_ && e.from != kNoSkip)
                    at = std::max(at, depart(t, t0, e.from) + leg_[k].skip);
                at = std::max(e.lo, at);
                if (at > e.hi) return false;
                t[k] = at;
            }
            end = at + e_[n].link;
            if (legs && skips_ && e_[n].from != kNoSkip)
                end = std::max(end, depart(t, t0, e_[n].from) + leg_[n].skip);
            if (end > in.v_late[v]) return false;
            bool changed = false;
            for (const Pair& pr : pairs_) {
                if (t[pr.d] - t[pr.p] > pr.limit) {
                    e_[pr.p].lo = std::max(e_[pr.p].lo, t[pr.d] - pr.limit);
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
        // relax backwards: pickups as late as what follows allows; breaks too, but taken
        // where the vehicle is before it drives on, when their windows allow
        const auto at_ = [&](int k) { return k == n ? end : t[k]; };
        int next_real = n;
        for (int k = n - 1; k >= 0; --k) {
            const int node = nodes[k];
            const bool brk = in.is_break(node);
            if (brk || !(node & 1)) {
                i64 latest = at_(k + 1) - e_[k + 1].link;
                if (legs && skips_) {
                    if (brk && e_[k + 1].from != kNoSkip) latest -= leg_[k + 1].travel;
                    if (!brk && e_[next_real].from == k)
                        latest = std::min(latest, at_(next_real) - leg_[next_real].skip);
                }
                t[k] = std::max(t[k], std::min(e_[k].hi, latest));
            }
            if (!brk) next_real = k;
        }
        i64 dep = at_(0) - e_[0].link;
        if (legs && skips_ && e_[next_real].from == -1)
            dep = std::min(dep, at_(next_real) - leg_[next_real].skip);
        out.departure = std::max(t0, dep);
        out.end = end;
        return true;
    }

  public:
    // Exact cost of `seq` on `v` (without the fixed cost); false when infeasible.
    // The route leaves no earlier than `start()`: the earliest departure (raised by the
    // leading breaks) or, when cheaper, the latest one that keeps the sequence feasible
    // (idle waiting before a late window then moves to before the start, as OR-Tools'
    // finalizers do). Leading breaks are taken before the start or, when only that
    // works, on the way to the first stop (`lead_on_route()`);
    // `on_route()` says whether the trailing breaks are on the route.
    bool evaluate(const Instance& in, int v, const int* seq, int n, i64& cost) {
        int first = -1, last = -1;
        for (int k = 0; k < n; ++k) {
            if (!in.is_break(seq[k])) {
                if (first < 0) first = k;
                last = k;
            }
        }
        start_ = in.v_early[v];
        on_route_ = lead_on_route_ = false;
        if (first < 0) {
            cost = 0;
            return true;
        }
        i64 t0 = in.v_early[v];
        bool before = true;
        for (int k = 0; k < first; ++k) {
            const int b = in.brk(seq[k]);
            const i64 lo = std::max(in.b_early[b], in.v_shift_start[v]);
            before = before && lo <= in.b_late[b];
            t0 = std::max(t0, lo + in.b_dur[b]);
        }
        if (before && best_departure(in, v, seq, n, first, last, t0, cost)) return true;
        // (taken on the way they cost their time on the route, and the first stop comes
        // no more than its drive earlier: only when they cannot be taken before)
        if (first > 0 && best_departure(in, v, seq, n, 0, last, in.v_early[v], cost)) {
            lead_on_route_ = true;
            return true;
        }
        return false;
    }

    i64 start() const { return start_; }
    bool on_route() const { return on_route_; }
    bool lead_on_route() const { return lead_on_route_; }

  private:
    // The cheapest cost of timing seq[first..] leaving no earlier than t0: at t0, or at
    // the latest departure that stays feasible, or at the latest that keeps the
    // trailing breaks after the end; sets start_ and on_route_.
    bool best_departure(const Instance& in, int v, const int* seq, int n, int first, int last,
                        i64 t0, i64& cost) {
        bool on_route = false;
        if (!eval_at(in, v, seq, n, first, last, t0, cost, on_route)) return false;
        start_ = t0;
        on_route_ = on_route;
        // the latest departure the windows allow (ride limits may cut it: bisect then),
        // from the schedule just computed
        const i64 t_max =
            latest_departure(in, v, seq + first, on_route ? n - first : last - first + 1);
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
        if (ok_t >= 0 && r && !on_route) {
            // leaving that late pushes the trailing breaks onto the route (their
            // duration paid): the latest departure that keeps them after the end too.
            // Home comes no earlier than the departure plus the drive, the services and
            // the breaks on the way: try the departure that brings it to the latest
            // the trailing breaks allow, then bisect below it.
            i64 way = in.t(in.loc[seq[last]], in.v_end[v]);
            int at = in.v_start[v];
            for (int k = first; k <= last; ++k) {
                const int node = seq[k];
                way += in.node_service(node);
                if (in.is_break(node)) continue;
                way += in.t(at, in.loc[node]);
                at = in.loc[node];
            }
            i64 home_late = in.v_late[v];
            for (int k = last + 1; k < n; ++k) {
                const int b = in.brk(seq[k]);
                home_late = std::min({home_late, in.b_late[b], in.v_late[v] - in.b_dur[b]});
            }
            i64 lo = t0, hi = std::min(ok_t, home_late - way + 1);  // off at lo, not at hi
            if (hi - 1 > lo && eval_at(in, v, seq, n, first, last, hi - 1, c, r) && !r) {
                lo = hi - 1;
            } else {
                for (int step = 0; step < kBisect && hi - lo > 1; ++step) {
                    const i64 mid_t = lo + (hi - lo) / 2;
                    if (eval_at(in, v, seq, n, first, last, mid_t, c, r) && !r) lo = mid_t;
                    else hi = mid_t;
                }
            }
            if (lo > t0 && eval_at(in, v, seq, n, first, last, lo, c, r) && !r && c < cost) {
                cost = c;
                start_ = lo;
                on_route_ = false;
            }
        }
        return true;
    }

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
    // Per node k of a schedule (k = n: the end): `link`, the least time from the start
    // of node k - 1 (or the departure) to its start; its window (lo raised by ride
    // limits); `from`, the stop before the breaks just ahead of it (-1: the departure;
    // kNoSkip: none, or no legs) whose start bounds its start by `Leg::skip` (that
    // stop's service, the drive, the breaks between), `Leg::travel` the drive into it.
    struct Edge {
        i64 link, lo, hi;
        int from;
    };
    struct Leg {
        i64 skip, travel;
    };
    static constexpr int kMaxRounds = 200;
    static constexpr int kNoSkip = -2;
    static constexpr int kBisect = 12;
    static i64 depart(const i64* t, i64 t0, int from) { return from < 0 ? t0 : t[from]; }
    i64 start_ = 0;
    bool on_route_ = false, lead_on_route_ = false;
    bool skips_ = false;
    std::vector<int> pos_;
    std::vector<i64> picked_, late_;
    std::vector<Edge> e_;
    std::vector<Leg> leg_;
    std::vector<Pair> pairs_;
    Sched sched_;
};

inline Timer& timer() {
    static thread_local Timer t;
    return t;
}

}  // namespace noriai
