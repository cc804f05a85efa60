// The search: greedy construction, route minimisation by guided ejection search
// (Nagata & Kobayashi 2010, for pickup and delivery), and adaptive large neighbourhood
// search on distance (Ropke & Pisinger 2006) with simulated-annealing acceptance.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "instance.hpp"
#include "pool.hpp"
#include "shared.hpp"
#include "solution.hpp"

namespace noriai {

using Clock = std::chrono::steady_clock;

struct Params {
    double time_limit_s = 10.0;
    double route_min_share = 0.5;  // at most this share of the time removes routes
    bool minimize_routes = true;
    int eject_max = 3;             // requests ejected at once, at most
    long eject_work = 4000000;     // position checks one ejection search may spend
    int perturb_moves = 10;        // random relocations after each ejection
    double start_temp = 0.05;      // SA: a solution this much worse is accepted at p = 0.5
    double end_temp = 0.001;
    int min_remove = 2;
    int max_remove = 30;
    double max_remove_share = 0.35;
    double patience_s = 0;         // > 0: stop once the best has not improved for this long
    int lns_eject_steps = 5;       // per left-over request: ejection attempts after a repair
    // ... while they have made at most this share of the LNS's other insertion searches:
    // where repairs often leave requests out (a dial-a-ride day's full fleet of 144
    // requests) the chains took ~80 % of the time (30 s: 33 k iterations, 123 k capped)
    double eject_share = 0.25;
    double soft_fixed = 1.0;       // LNS judges a vehicle at most this many mean routes' cost
    double soft_share = 0.5;       // ... for this share of its time, then by the true cost
    unsigned seed = 1;
    // deterministic budgets (< 0: none): LNS iterations, improvements of the best plan
    // after which the LNS stops, and ejection steps (construction and route minimisation).
    // With an iteration budget the LNS schedules (temperature, soft phase) follow the
    // iteration count instead of the clock, so a seed gives one plan.
    long lns_iterations = -1;
    long improvement_limit = -1;
    long ges_steps = -1;
    // the fast mode's moves of runs of stops within a route (reorder_route): 0 none,
    // 1 the best plan's routes at the end of the LNS (a polish: never worse), 2 also
    // the current plan once per segment, 3 also each LNS candidate's new routes when
    // near the current plan (lc204 escaped its 8 % trap in 3 seeds of 3, but the LNS
    // ran 2-3 x fewer iterations elsewhere: not default until measured on a free machine)
    int reorder = 1;
    // a stalled LNS (1,000 iterations without a better best) moves requests between routes
    // reordering this many stops of the taking route around the pickup, one more after
    // each 1,000 more, up to 6 (relocate_windowed; 0: never)
    int window = 4;
    // parallel searches (portfolio.hpp): how many, and how many LNS iterations a search
    // goes without improving its own best before it takes the shared best when better
    int threads = 1;
    long share_after = 500;
    bool share_routes = true;  // route minimisation takes another search's fewer vehicles
    // fast mode: distinct routes of the plans the LNS accepts near its best, kept for
    // recombination (`RoutePool`, `dispatch.recombine`), at most this many (0: none)
    long pool = 0;
    // ... of the plans within this share of the best (Cordeau a7-84, a8-80, a8-96 at
    // 30 s, 3 seeds: 0.005 and 0.01 alike, 0.02 worse: more routes than SCIP can take)
    double pool_gap = 0.01;
};

struct Stats {
    long ges_iterations = 0;
    int routes_removed = 0;
    long lns_iterations = 0;
    long lns_improvements = 0;
    double construct_s = 0, ges_s = 0, lns_s = 0;
    int initial_vehicles = 0;
    long adoptions = 0;  // parallel searches: times this one took the shared best
    long stall_escapes = 0;  // a stalled LNS's best improved by relocate_windowed
    // insertion searches (routes searched for one request's place) in all, and those
    // the LNS repairs' ejection chains made (about `eject_share` of the others at most)
    long insertion_searches = 0, eject_searches = 0;
};

class Search {
  public:
    // `shared`: the plans shared with searches running in parallel (none: alone).
    Search(const Instance& in, const Params& params, SharedBest* shared = nullptr)
        : in_(in),
          params_(params),
          ins_(in),
          rng_(params.seed),
          pen_(in.n_req, 1),
          base_(Solution::empty(in)),
          ges_left_(params.ges_steps),
          shared_(shared),
          pool_(in.general ? 0 : static_cast<std::size_t>(std::max(0L, params.pool))) {}

    Solution run(const Solution* initial) {
        const auto start = Clock::now();
        const auto deadline = start + seconds(params_.time_limit_s);
        Solution s = initial ? *initial : base_;
        if (!initial) {
            construct(s, std::min(deadline, start + seconds(params_.time_limit_s *
                                                             params_.route_min_share)));
        }
        stats_.construct_s = elapsed(start);
        stats_.initial_vehicles = s.used_vehicles();
        if (params_.minimize_routes && has_fixed_costs()) {
            const auto ges_start = Clock::now();
            const auto ges_end = std::min(
                deadline, start + seconds(params_.time_limit_s * params_.route_min_share));
            minimize_routes(s, ges_end);
            stats_.ges_s = elapsed(ges_start);
        }
        if (params_.lns_iterations != 0) {  // local search: not for the first solution
            // at most a quarter of the budget: a city's fleet has thousands of pairs
            const auto ls_end = std::min(
                deadline, Clock::now() + seconds(kFirstExchangeShare * params_.time_limit_s));
            exchange_routes(s, ls_end);
            relocate_blocks(s, ls_end);
        }
        const auto lns_start = Clock::now();
        Solution best = lns(s, deadline);
        stats_.lns_s = elapsed(lns_start);
        return best;
    }

    const Stats& stats() const { return stats_; }
    const RoutePool& pool() const { return pool_; }

    // ---- construction ------------------------------------------------------------
    void construct(Solution& s, Clock::time_point deadline) {
        std::vector<int> order;
        for (int r = 0; r < in_.n_req; ++r) {
            if (s.route_of[r] < 0) order.push_back(r);
        }
        // requests bound to a vehicle (on board, pickup locked) first, then by the
        // deadline of their first stop (a visit's: its one stop)
        const auto key = [&](int r) {
            const bool bound = in_.bound_request(r);
            return std::make_pair(bound ? 0 : 1, in_.late[in_.head(r)]);
        };
        std::sort(order.begin(), order.end(), [&](int a, int b) {
            return key(a) != key(b) ? key(a) < key(b) : a < b;
        });
        std::vector<int> left;
        for (int r : order) {
            const Insertion x = best_or_moved_break(s, r, true);
            if (x.ok()) {
                s.insert(in_, r, x.v, x.i, x.j);
            } else {
                left.push_back(r);
            }
        }
        // what fits no vehicle even alone stays out; the rest is pushed in by ejections
        std::vector<int> pool;
        for (int r : left) {
            if (fits_alone(r)) pool.push_back(r);
        }
        std::reverse(pool.begin(), pool.end());
        if (pool.empty()) return;
        // an ejection chain cut short by its budget may end with more left out than it
        // began with (it ejected a request it could not place again): keep the greedy plan
        Solution greedy = s;
        if (!fill(s, pool, deadline, true) && s.objective(in_) > greedy.objective(in_))
            s = std::move(greedy);
    }

    bool fits_alone(int req) {
        for (int v = 0; v < in_.n_veh; ++v) {
            if (!in_.can(req, v)) continue;
            if (ins_.best_in_route(base_.routes[v], req).ok()) return true;
        }
        return false;
    }

    // `best_overall`; in the general mode, when the request fits nowhere or only on a
    // vehicle still unused, it is also tried on each used route with breaks, the breaks
    // lifted out first and placed again after it: a break placed for the stops so far
    // may leave no room for the request (a lunch after a locked pickup, where its
    // dropoff or a new ride had to go). The cheapest option wins.
    Insertion best_or_moved_break(Solution& s, int req, bool allow_empty) {
        Insertion best = best_overall(s, req, allow_empty);
        if (!in_.general || (best.ok() && !s.routes[best.v].empty())) return best;
        bool moved = false;
        for (int v = 0; v < in_.n_veh; ++v) {
            const Route& r = s.routes[v];
            if (r.empty() || in_.v_breaks[v].empty() || !in_.can(req, v)) continue;
            Insertion y;
            if (!around_breaks(r, req, lifted_, y)) continue;
            if (!best.ok() || y.delta < best.delta) {
                best = y;
                std::swap(best_lifted_, lifted_);
                moved = true;
            }
        }
        if (moved) s.routes[best.v] = std::move(best_lifted_);
        return best;
    }

    // `req` into route r with r's breaks lifted out and each placed again at its
    // cheapest feasible position after it (the cheapest few insertions tried, cheapest
    // first): `out` is the result without `req`, `x` the insertion that completes it
    // (its delta against r).
    bool around_breaks(const Route& r, int req, Route& out, Insertion& x) {
        bare_.v = r.v;
        bare_.seq.clear();
        for (int node : r.seq) {
            if (!in_.is_break(node)) bare_.seq.push_back(node);
        }
        refresh(in_, bare_);
        options_.clear();
        ins_.feasible_in_route(bare_, req, options_);
        std::sort(options_.begin(), options_.end(),
                  [](const Insertion& a, const Insertion& b) { return a.delta < b.delta; });
        const int tries = std::min<int>(kLiftTries, static_cast<int>(options_.size()));
        for (int t = 0; t < tries; ++t) {
            const Insertion& o = options_[t];
            out.v = r.v;
            out.seq = bare_.seq;
            out.seq.insert(out.seq.begin() + o.j, 2 * req + 1);
            if (o.i >= 0) out.seq.insert(out.seq.begin() + o.i, 2 * req);
            if (!place_breaks(out)) continue;
            // the request's positions in the result, then the result without it
            const auto at = [&](int node) {
                return static_cast<int>(std::find(out.seq.begin(), out.seq.end(), node) -
                                        out.seq.begin());
            };
            const i64 with = out.cost;
            x.v = r.v;
            x.j = at(2 * req + 1);
            x.i = o.i >= 0 ? at(2 * req) : -1;
            out.seq.erase(out.seq.begin() + x.j);
            if (x.i >= 0) out.seq.erase(out.seq.begin() + x.i);
            x.j -= x.i >= 0 ? 1 : 0;  // Solution::insert: dropoff first, before position j
            refresh(in_, out);
            x.delta = with - r.cost;
            return true;
        }
        return false;
    }

    // Each of the vehicle's breaks missing from r at its cheapest feasible position
    // (r refreshed); false when one fits nowhere.
    bool place_breaks(Route& r) {
        for (int b : in_.v_breaks[r.v]) {
            if (std::find(r.seq.begin(), r.seq.end(), b) != r.seq.end()) continue;
            i64 best_c = kInf;
            int best_k = -1;
            for (int k = 0; k <= r.size(); ++k) {
                r.seq.insert(r.seq.begin() + k, b);
                i64 c = 0;
                if (timer().evaluate(in_, r.v, r.seq.data(), r.size(), c) && c < best_c) {
                    best_c = c;
                    best_k = k;
                }
                r.seq.erase(r.seq.begin() + k);
            }
            if (best_k < 0) return false;
            r.seq.insert(r.seq.begin() + best_k, b);
        }
        refresh(in_, r);
        return r.feasible;
    }

    // The cheapest feasible insertion over all vehicles; among empty vehicles only the
    // first of each class is tried (the others would give the same answer).
    Insertion best_overall(const Solution& s, int req, bool allow_empty) {
        Insertion best;
        seen_class_.assign(in_.n_veh, 0);
        for (int v = 0; v < in_.n_veh; ++v) {
            if (!in_.can(req, v)) continue;
            const Route& r = s.routes[v];
            if (r.empty()) {
                if (!allow_empty || seen_class_[in_.v_class[v]]) continue;
                seen_class_[in_.v_class[v]] = 1;
            }
            const Insertion x = ins_.best_in_route(r, req, best.delta);
            if (x.ok()) best = x;
        }
        return best;
    }

    // ---- route minimisation --------------------------------------------------------
    // Parallel searches: each success is shared, and a search takes another's plan as
    // soon as that has fewer vehicles (between removals, or abandoning the removal it
    // is working on when another has got as far).
    void minimize_routes(Solution& s, Clock::time_point deadline) {
        SharedBest* const shared = params_.share_routes ? shared_ : nullptr;
        if (shared_) shared_->offer_ges(s, s.objective(in_));
        while (Clock::now() < deadline && s.used_vehicles() > 1 && s.unassigned() == 0) {
            if (shared && shared->take_ges(adopted_, s.used_vehicles())) {
                s = adopted_;
                ++stats_.adoptions;
                continue;
            }
            Solution backup = s;
            std::vector<int> used;
            for (int v = 0; v < in_.n_veh; ++v) {
                if (!s.routes[v].empty() && s.removable_route(in_, v)) used.push_back(v);
            }
            if (used.empty() || ges_left_ == 0) return;
            const int victim = used[pick(static_cast<int>(used.size()))];
            std::vector<int> pool = s.requests_of(in_, victim);
            s.remove(in_, pool);
            std::fill(pen_.begin(), pen_.end(), 1);
            ges_target_ = shared ? s.used_vehicles() : -1;
            const bool filled = fill(s, pool, deadline, false);
            ges_target_ = -1;
            if (!filled) {
                s = std::move(backup);
                if (shared && shared->ges_vehicles() <= s.used_vehicles() - 1) continue;
                return;
            }
            ++stats_.routes_removed;
            if (shared_) shared_->offer_ges(s, s.objective(in_));
        }
        if (shared_ && shared_->take_ges(adopted_, s.used_vehicles())) {
            s = adopted_;
            ++stats_.adoptions;
        }
    }

    // Insert every request of the ejection pool, ejecting others where needed.
    // `max_steps` bounds the attempts (LNS repairs); `perturb` adds random relocations
    // after each ejection (route minimisation's diversification).
    bool fill(Solution& s, std::vector<int>& pool, Clock::time_point deadline, bool allow_empty,
              long max_steps = -1, bool perturb_after = true) {
        long steps = 0;
        while (!pool.empty()) {
            if (Clock::now() >= deadline) return false;
            if (max_steps >= 0 && steps++ >= max_steps) return false;
            if (perturb_after) {  // construction and route minimisation: the ejection budget
                if (ges_left_ == 0) return false;
                if (ges_left_ > 0) --ges_left_;
            }
            // parallel: another search has a plan with as few vehicles as this fill seeks
            if (shared_ && ges_target_ >= 0 && shared_->ges_vehicles() <= ges_target_)
                return false;
            ++stats_.ges_iterations;
            const int r = pool.back();
            pool.pop_back();
            const Insertion x = best_or_moved_break(s, r, allow_empty);
            if (x.ok()) {
                s.insert(in_, r, x.v, x.i, x.j);
                continue;
            }
            ++pen_[r];
            Ejection e;
            if (!find_ejection(s, r, e)) {
                pool.insert(pool.begin(), r);
                continue;
            }
            s.remove(in_, e.out);
            s.insert(in_, r, e.ins.v, e.ins.i, e.ins.j);
            pool.insert(pool.end(), e.out.begin(), e.out.end());
            if (perturb_after) perturb(s, params_.perturb_moves);
        }
        return true;
    }

    // ---- route exchanges ------------------------------------------------------------
    // Vehicles that differ (depot, breaks, rates, fixed cost, capacity) may serve each
    // other's work for less: two routes swap vehicles, or a route's tail (its stops from
    // a point where nobody is on board; the whole route when nothing on it is locked or
    // bound) moves to an unused vehicle, whenever the plan's true cost falls. Moving
    // requests one at a time seldom gets there: the first one moved opens the other
    // vehicle, or leaves behind a route whose cost it cannot show wasted. Applied to the
    // start of the LNS and to the current plan once per segment of iterations. (In the
    // fast mode a tail never gains on an unused vehicle like its own: same depot, same
    // rates, the triangle inequality.)
    // Both stop at `deadline` (a city's fleet has thousands of pairs to try).
    bool exchange_routes(Solution& s, Clock::time_point deadline) {
        bool improved = false;
        for (int u = 0; u < in_.n_veh; ++u) {
            if (Clock::now() >= deadline) return improved;
            for (int w = u + 1; w < in_.n_veh; ++w) {
                if (in_.v_class[u] == in_.v_class[w]) continue;
                if (Clock::now() >= deadline) return improved;
                if (s.routes[u].empty() || s.routes[w].empty()) continue;
                if (!can_take(s, u, w) || !can_take(s, w, u)) continue;
                transplant(s.routes[w], 0, u, swap_u_);
                transplant(s.routes[u], 0, w, swap_w_);
                improved |= commit_exchange(s, u, w);
            }
        }
        for (int u = 0; u < in_.n_veh; ++u) {
            if (s.routes[u].empty()) continue;
            if (Clock::now() >= deadline) return improved;
            bool moved = false;
            for (int k : tail_starts(s, u)) {
                seen_class_.assign(in_.n_veh, 0);
                for (int w = 0; w < in_.n_veh && !moved; ++w) {
                    if (w == u || !s.routes[w].empty() || closed(w) || seen_class_[in_.v_class[w]])
                        continue;
                    seen_class_[in_.v_class[w]] = 1;
                    if (!in_.general && in_.v_class[w] == in_.v_class[u]) continue;
                    if (!tail_allowed(s.routes[u], k, w)) continue;
                    transplant(s.routes[u], k, w, swap_w_);
                    keep_head(s.routes[u], k, swap_u_);
                    moved = commit_exchange(s, u, w);
                }
                if (moved) break;  // u has changed: its tails with it
            }
            improved |= moved;
        }
        return improved;
    }

    // Blocks of whole requests on a route picked at random (between two points where
    // nobody is on board, spanning at most kBlockSpan such stretches, or running to its
    // end) move into another vehicle's route, request by request at their cheapest
    // places, whenever the plan's true cost falls: two rides served together that each
    // alone would rather stay, or a route that another's end can take over. Applied to
    // the start of the LNS and to the current plan once per segment of iterations.
    bool relocate_blocks(Solution& s, Clock::time_point deadline) {
        used_.clear();
        for (int v = 0; v < in_.n_veh; ++v) {
            if (!s.routes[v].empty()) used_.push_back(v);
        }
        if (used_.empty()) return false;
        const int u = used_[pick(static_cast<int>(used_.size()))];
        std::vector<int> cuts = tail_starts(s, u);
        cuts.push_back(s.routes[u].size());
        const int n_cuts = static_cast<int>(cuts.size());
        for (int a = 0; a + 1 < n_cuts; ++a) {
            if (Clock::now() >= deadline) return false;
            for (int b = a + 1; b < n_cuts; ++b) {
                if (b > a + kBlockSpan && b < n_cuts - 1) continue;  // short blocks, and tails
                seen_class_.assign(in_.n_veh, 0);
                for (int w = 0; w < in_.n_veh; ++w) {
                    if (w == u || closed(w)) continue;
                    if (Clock::now() >= deadline) return false;
                    if (s.routes[w].empty()) {
                        if (seen_class_[in_.v_class[w]]) continue;  // one unused per class
                        seen_class_[in_.v_class[w]] = 1;
                    }
                    // the fast mode: identical vehicles are the LNS's business
                    if (!in_.general && in_.v_class[w] == in_.v_class[u]) continue;
                    if (!block_allowed(s.routes[u], cuts[a], cuts[b], w)) continue;
                    cut_block(s.routes[u], cuts[a], cuts[b], swap_u_);
                    swap_w_ = s.routes[w];
                    if (!best_rebuild(s.routes[w], moving_, swap_w_, false)) continue;
                    if (commit_exchange(s, u, w)) return true;  // u has changed
                }
            }
        }
        return false;
    }

    // Within one route, a run of up to kReorderStops consecutive stops moves, in order,
    // to another place of the same route (every pickup still before its dropoff) when
    // the route gets shorter and stays feasible (or-opt): stops served in an order that
    // moving whole requests, as the LNS does, only improves uphill (wide windows, Li &
    // Lim's lc2 / lrc2). The fast mode
    // only, where a route's cost is its length and its feasibility windows and loads.
    // First improvement on a route picked at random; returns whether it moved.
    bool reorder_blocks(Solution& s) {
        if (in_.general) return false;
        used_.clear();
        for (int v = 0; v < in_.n_veh; ++v) {
            if (s.routes[v].size() >= 4) used_.push_back(v);
        }
        if (used_.empty()) return false;
        return reorder_route(s, used_[pick(static_cast<int>(used_.size()))]);
    }

    // The routes that took `requests`, each to an order no single run move shortens.
    void polish_routes(Solution& s, const std::vector<int>& requests) {
        touched_.clear();
        for (int r : requests) {
            if (s.route_of[r] >= 0) touched_.push_back(s.route_of[r]);
        }
        std::sort(touched_.begin(), touched_.end());
        touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
        for (int v : touched_) {
            while (s.routes[v].size() >= 4 && reorder_route(s, v)) {
            }
        }
    }

    // A request moves to another route whose order changes to take it: its pickup
    // joins a window of `window` consecutive stops there in the best order of all, its
    // dropoff goes to the cheapest place after, the route's runs of stops then move while
    // it gets shorter (reorder_route); taken when the two routes together get shorter.
    // With wide windows (Li & Lim's lc2 / lrc2) a request can sit on the wrong route
    // because the right one serves its neighbourhood in an order that only works once it
    // has the request, every step between infeasible: lrc201 stayed 3.5 % above the best
    // known (the LNS moves whole requests into routes as they are, reorder_route moves
    // runs within one). Tried on the routes near the request, every request in random
    // order; the fast mode without ride limits or duration caps that bind (the search
    // here sees windows and loads only: on Cordeau's dial-a-ride days most of what it
    // found broke a ride limit, and the passes cost the LNS a fifth of its iterations
    // for no gain). Returns whether anything moved.
    bool relocate_windowed(Solution& s, int window, Clock::time_point deadline) {
        if (in_.general || in_.exact_timing || window <= 0) return false;
        order_.resize(in_.n_req);
        std::iota(order_.begin(), order_.end(), 0);
        std::shuffle(order_.begin(), order_.end(), rng_);
        bool improved = false;
        for (int req : order_) {
            if (Clock::now() >= deadline) break;
            const int u = s.route_of[req];
            if (u < 0) continue;
            from_ = s.routes[u];
            Solution::erase_request(in_, from_.seq, req);
            refresh(in_, from_);
            const i64 left = from_.empty() ? 0 : from_.cost + in_.v_fixed[u];
            for (int w : near_routes(s, req)) {
                if (w == u || !in_.can(req, w)) continue;
                if (!window_insert(s.routes[w], req, window, kept_)) continue;
                refresh(in_, kept_);
                if (!route_ok(kept_)) continue;
                const i64 before = s.route_cost(in_, u) + s.route_cost(in_, w);
                std::swap(s.routes[w], kept_);  // kept_: the route as it was
                while (reorder_route(s, w)) {
                }
                if (left + s.route_cost(in_, w) >= before) {
                    std::swap(s.routes[w], kept_);
                    continue;
                }
                s.route_of[req] = w;
                s.routes[u] = from_;
                while (s.routes[u].size() >= 4 && reorder_route(s, u)) {
                }
                improved = true;
                break;
            }
        }
        return improved;
    }

    // The used routes that serve one of the kNearStops stops nearest to either stop
    // of `req`, each once.
    const std::vector<int>& near_routes(const Solution& s, int req) {
        near_.clear();
        const int p = in_.loc[2 * req], d = in_.loc[2 * req + 1];
        nodes_by_.clear();
        for (int node = 0; node < in_.n_nodes(); ++node) {
            if ((node >> 1) == req || s.route_of[node >> 1] < 0) continue;
            const int l = in_.loc[node];
            nodes_by_.push_back({std::min(in_.d(p, l), in_.d(d, l)), node});
        }
        const std::size_t k = std::min<std::size_t>(kNearStops, nodes_by_.size());
        std::partial_sort(nodes_by_.begin(), nodes_by_.begin() + k, nodes_by_.end());
        for (std::size_t i = 0; i < k; ++i) {
            const int v = s.route_of[nodes_by_[i].second >> 1];
            if (std::find(near_.begin(), near_.end(), v) == near_.end()) near_.push_back(v);
        }
        return near_;
    }

    // The time warp of `seq` on vehicle v: windows and the end deadline; a stop reached
    // late is served at its latest start and the lateness counted.
    i64 warp_of(int v, const std::vector<int>& seq) const {
        i64 dep = in_.v_early[v], warp = 0;
        int prev = in_.v_start[v];
        for (int node : seq) {
            const int l = in_.loc[node];
            i64 t = std::max(in_.early[node], dep + in_.t(prev, l));
            if (t > in_.late[node]) {
                warp += t - in_.late[node];
                t = in_.late[node];
            }
            dep = t + in_.service[node];
            prev = l;
        }
        return warp + std::max<i64>(0, dep + in_.t(prev, in_.v_end[v]) - in_.v_late[v]);
    }

    // The shortest route r with `req` whose stops outside two windows keep their order:
    // the pickup joins `window` consecutive stops in the best order of all (every pickup
    // there before its dropoff, windows met: a depth-first search cut where one is
    // missed, the rest of the route can no longer be reached in time, or the length
    // passes the best), and the dropoff, somewhere after, joins kDropWindow stops in
    // their best order. False if none is feasible.
    bool window_insert(const Route& r, int req, int window, Route& out) {
        const int v = r.v, n = r.size(), p = 2 * req;
        // into_[k]: the length of r up to its stop k (k = n: to its end)
        into_.resize(n + 1);
        i64 len = 0;
        int prev = in_.v_start[v];
        for (int k = 0; k <= n; ++k) {
            const int l = k < n ? in_.loc[r.seq[k]] : in_.v_end[v];
            len += in_.arc(v, prev, l);
            into_[k] = len;
            prev = l;
        }
        i64 best = kInf;
        for (int a = 0; a <= n; ++a) {
            const i64 dep = a == 0 ? in_.v_early[v] : r.early_at[a - 1] + in_.service[r.seq[a - 1]];
            const int from = a == 0 ? in_.v_start[v] : in_.loc[r.seq[a - 1]];
            if (dep + in_.t(from, in_.loc[p]) > in_.late[p]) break;  // too late from here on
            win_.assign(r.seq.begin() + a, r.seq.begin() + std::min(n, a + window));
            win_.push_back(p);
            perm_.clear();
            used_win_.assign(win_.size(), 0);
            const i64 head = a == 0 ? 0 : into_[a - 1];
            permute(r, req, a, dep, from, head, best, out);
        }
        out.v = v;
        return best < kInf;
    }

    // Extends perm_ (the window's stops placed so far, the vehicle leaving `from` at
    // `dep`, the route `len` long) by every stop of win_ that may come next; a full
    // window goes on to the dropoff.
    void permute(const Route& r, int req, int a, i64 dep, int from, i64 len, i64& best,
                 Route& out) {
        const int k = static_cast<int>(win_.size());
        if (static_cast<int>(perm_.size()) == k) {
            const int next = a + k - 1;  // the route's first stop after the window
            const int l = next < r.size() ? in_.loc[r.seq[next]] : in_.v_end[r.v];
            if (next < r.size() ? std::max(in_.early[r.seq[next]], dep + in_.t(from, l)) >
                                      r.late_at[next]
                                : dep + in_.t(from, l) > r.late_at[next])
                return;
            // the dropoff's detour is not negative where travel keeps the triangle
            // inequality (a bound that only orders the search: the route is checked)
            if (len + in_.arc(r.v, from, l) + into_[r.size()] - into_[next] >= best) return;
            place_dropoff(r, req, a, best, out);
            return;
        }
        for (int i = 0; i < k; ++i) {
            if (used_win_[i]) continue;
            const int node = win_[i];
            if (node & 1) {  // a dropoff waits for its pickup when that is in the window
                const auto it = std::find(win_.begin(), win_.end(), node - 1);
                if (it != win_.end() && !used_win_[it - win_.begin()]) continue;
            }
            const int l = in_.loc[node];
            const i64 t = std::max(in_.early[node], dep + in_.t(from, l));
            if (t > in_.late[node]) continue;
            used_win_[i] = 1;
            perm_.push_back(node);
            permute(r, req, a, t + in_.service[node], l, len + in_.arc(r.v, from, l), best, out);
            perm_.pop_back();
            used_win_[i] = 0;
        }
    }

    // The route with the window in perm_'s order and the dropoff of `req` after the
    // pickup, with the kDropWindow stops from its place in each order (pickups before
    // their dropoffs), into `out` when feasible and shorter than `best`.
    void place_dropoff(const Route& r, int req, int a, i64& best, Route& out) {
        const int v = r.v, d = 2 * req + 1;
        const int w = static_cast<int>(win_.size()) - 1;  // the route's stops in it
        buf_.assign(r.seq.begin(), r.seq.begin() + a);
        buf_.insert(buf_.end(), perm_.begin(), perm_.end());
        buf_.insert(buf_.end(), r.seq.begin() + a + w, r.seq.end());
        const int n = static_cast<int>(buf_.size());
        const int at_p = static_cast<int>(std::find(buf_.begin(), buf_.end(), d - 1) - buf_.begin());
        for (int j = at_p + 1; j <= n; ++j) {
            drop_.assign(buf_.begin() + j, buf_.begin() + std::min(n, j + kDropWindow));
            drop_.push_back(d);
            std::sort(drop_.begin(), drop_.end());
            do {
                if (!pickups_first(drop_)) continue;
                trial_seq_.assign(buf_.begin(), buf_.begin() + j);
                trial_seq_.insert(trial_seq_.end(), drop_.begin(), drop_.end());
                trial_seq_.insert(trial_seq_.end(), buf_.begin() + j + drop_.size() - 1, buf_.end());
                const i64 len = length_of(v, trial_seq_);
                if (len >= best || warp_of(v, trial_seq_) > 0 || !loads_fit(in_, v, trial_seq_))
                    continue;
                best = len;
                out.seq = trial_seq_;
            } while (std::next_permutation(drop_.begin(), drop_.end()));
        }
    }

    // Every dropoff in `stops` whose pickup is there too comes after it.
    static bool pickups_first(const std::vector<int>& stops) {
        for (std::size_t i = 0; i < stops.size(); ++i) {
            if (!(stops[i] & 1)) continue;
            for (std::size_t j = i + 1; j < stops.size(); ++j) {
                if (stops[j] == stops[i] - 1) return false;
            }
        }
        return true;
    }

    i64 length_of(int v, const std::vector<int>& seq) const {
        i64 len = 0;
        int prev = in_.v_start[v];
        for (int node : seq) {
            len += in_.arc(v, prev, in_.loc[node]);
            prev = in_.loc[node];
        }
        return len + in_.arc(v, prev, in_.v_end[v]);
    }

    // `seq` with its stops [lo, hi) moved, in order, before position k.
    static void moved_run(const std::vector<int>& seq, int lo, int hi, int k, std::vector<int>& out) {
        out.clear();
        const auto b = seq.begin();
        if (k < lo) {
            out.insert(out.end(), b, b + k);
            out.insert(out.end(), b + lo, b + hi);
            out.insert(out.end(), b + k, b + lo);
            out.insert(out.end(), b + hi, seq.end());
        } else {
            out.insert(out.end(), b, b + lo);
            out.insert(out.end(), b + hi, b + k);
            out.insert(out.end(), b + lo, b + hi);
            out.insert(out.end(), b + k, seq.end());
        }
    }

    // Moving stops [lo, hi) of r before position k keeps every pickup before its dropoff
    // (at_ holds the route's positions).
    bool keeps_order(const Route& r, int lo, int hi, int k) const {
        for (int i = lo; i < hi; ++i) {
            const int node = r.seq[i];
            if (node & 1) {  // a dropoff moved earlier must stay after its pickup
                const int p = at_[node - 1];
                if (k < lo && p >= k && p < lo) return false;
            } else {  // a pickup moved later must stay before its dropoff
                const int d = at_[node + 1];
                if (k > hi && d >= hi && d < k) return false;
            }
        }
        return true;
    }

    bool reorder_route(Solution& s, int u) {
        const Route& r = s.routes[u];
        const int n = r.size();
        const int v = r.v;
        if (static_cast<int>(at_.size()) < in_.n_nodes()) at_.assign(in_.n_nodes(), -1);
        for (int k = 0; k < n; ++k) at_[r.seq[k]] = k;
        const auto loc = [&](int k) {
            return k < 0 ? in_.v_start[v] : k >= n ? in_.v_end[v] : in_.loc[r.seq[k]];
        };
        for (int lo = 0; lo < n; ++lo) {
            for (int hi = lo + 1; hi <= n && hi - lo <= kReorderStops; ++hi) {
                const int first = loc(lo), last = loc(hi - 1);
                const i64 saved = in_.arc(v, loc(lo - 1), first) + in_.arc(v, last, loc(hi)) -
                                  in_.arc(v, loc(lo - 1), loc(hi));
                for (int k = 0; k <= n; ++k) {
                    if (k >= lo && k <= hi) continue;  // the block's own place
                    if (!keeps_order(r, lo, hi, k)) continue;
                    const int x = loc(k - 1), y = loc(k);
                    if (in_.arc(v, x, first) + in_.arc(v, last, y) - in_.arc(v, x, y) >= saved)
                        continue;
                    moved_run(r.seq, lo, hi, k, swap_u_.seq);
                    swap_u_.v = v;
                    refresh(in_, swap_u_);
                    if (swap_u_.cost >= r.cost || !route_ok(swap_u_)) continue;
                    for (int node2 : r.seq) at_[node2] = -1;
                    s.routes[u] = swap_u_;
                    return true;
                }
            }
        }
        for (int node2 : r.seq) at_[node2] = -1;
        return false;
    }

    bool block_allowed(const Route& r, int a, int b, int to) const {
        for (int i = a; i < b; ++i) {
            if (!in_.is_break(r.seq[i]) && !in_.can(r.seq[i] >> 1, to)) return false;
        }
        return true;
    }

    // Route r without the request stops at positions [a, b) (its breaks kept, placed
    // again); the requests taken out, by their first stop, in moving_.
    void cut_block(const Route& r, int a, int b, Route& out) {
        out.v = r.v;
        out.seq.clear();
        moving_.clear();
        for (int i = 0; i < r.size(); ++i) {
            const int node = r.seq[i];
            if (i < a || i >= b || in_.is_break(node)) {
                out.seq.push_back(node);
            } else if (node == in_.head(node >> 1)) {
                moving_.push_back(node >> 1);
            }
        }
        refresh(in_, out);
        if (in_.general) improve_breaks(in_, out);
    }

    bool closed(int v) const { return in_.general && in_.v_closed[v]; }

    // Route r as it stands is feasible (the fast mode keeps no verdict: check it).
    bool route_ok(const Route& r) {
        if (in_.general || r.empty()) return r.feasible;
        return loads_fit(in_, r.v, r.seq) &&
               ins_.timing().feasible(r.v, r.seq.data(), static_cast<int>(r.seq.size()));
    }

    // swap_u_ and swap_w_ replace the routes of u and w when both are feasible and
    // cost less than those (fixed costs included); their requests follow.
    bool commit_exchange(Solution& s, int u, int w) {
        if (!route_ok(swap_u_) || !route_ok(swap_w_)) return false;
        const auto cost = [&](const Route& r) { return r.empty() ? 0 : r.cost + in_.v_fixed[r.v]; };
        if (cost(swap_u_) + cost(swap_w_) >= s.route_cost(in_, u) + s.route_cost(in_, w))
            return false;
        std::swap(s.routes[u], swap_u_);
        std::swap(s.routes[w], swap_w_);
        for (int t = 0; t < 2; ++t) {
            for (int node : s.routes[t == 0 ? u : w].seq) {
                if (!in_.is_break(node)) s.route_of[node >> 1] = t == 0 ? u : w;
            }
        }
        return true;
    }

    // Can vehicle `to` serve every request of route `from` (none locked or bound to it)?
    bool can_take(const Solution& s, int from, int to) const {
        if (closed(to) || !s.removable_route(in_, from)) return false;
        return tail_allowed(s.routes[from], 0, to);
    }

    bool tail_allowed(const Route& r, int k, int to) const {
        for (int i = k; i < r.size(); ++i) {
            if (!in_.is_break(r.seq[i]) && !in_.can(r.seq[i] >> 1, to)) return false;
        }
        return true;
    }

    // The positions k (after the lock) from which route u's stops are whole requests
    // that may leave it: nobody on board between k - 1 and k, nothing bound after k.
    std::vector<int> tail_starts(const Solution& s, int u) const {
        const Route& r = s.routes[u];
        std::vector<int> out;
        int open = 0;  // requests dropped off at or after k, picked up before k
        const int lock_end = in_.general ? r.lock_end : 0;
        for (int k = r.size() - 1; k >= lock_end; --k) {
            const int node = r.seq[k];
            if (in_.is_break(node)) continue;
            const int req = node >> 1;
            if (in_.bound_request(req)) break;  // a bound stop stays, and all before it
            if (in_.one_stop(req)) {
                // a visit: alone in its tail
            } else if (node & 1) {
                ++open;
            } else {
                --open;
            }
            if (open == 0) out.push_back(k);
        }
        std::reverse(out.begin(), out.end());
        return out;
    }

    const std::vector<int>& breaks_of(int v) const {
        static const std::vector<int> none;
        return in_.general ? in_.v_breaks[v] : none;
    }

    // The request stops of `r` from position k on, on vehicle `v` with v's breaks at
    // their cheapest feasible places: in their order or, when cheaper (or the only way),
    // rebuilt by insertion, as a vehicle with another depot, break or capacity may want
    // them in another order (requests taken in route order, reversed, or cheapest first).
    void transplant(const Route& r, int k, int v, Route& out) {
        out.v = v;
        out.seq.clear();
        moving_.clear();
        for (int i = k; i < r.size(); ++i) {
            const int node = r.seq[i];
            if (in_.is_break(node)) continue;
            out.seq.push_back(node);
            if (node == in_.head(node >> 1)) moving_.push_back(node >> 1);
        }
        out.seq.insert(out.seq.end(), breaks_of(v).begin(), breaks_of(v).end());
        refresh(in_, out);
        if (in_.general) improve_breaks(in_, out);
        unused_.v = v;
        unused_.seq = breaks_of(v);
        refresh(in_, unused_);
        best_rebuild(unused_, moving_, out, route_ok(out));
    }

    // `reqs` inserted one by one at their cheapest places into `base` (the result in
    // rebuilt_), in the given order or cheapest first; false when one fits nowhere.
    bool rebuild(const Route& base, const std::vector<int>& reqs, bool cheapest_first) {
        Route& built = rebuilt_;
        built = base;
        left_ = reqs;
        while (!left_.empty()) {
            int pick_at = 0;
            Insertion x = ins_.best_in_route(built, left_[0]);
            for (int a = 1; cheapest_first && a < static_cast<int>(left_.size()); ++a) {
                const Insertion y = ins_.best_in_route(built, left_[a]);
                if (y.ok() && (!x.ok() || y.delta < x.delta)) {
                    x = y;
                    pick_at = a;
                }
            }
            if (!x.ok()) return false;
            const int req = left_[pick_at];
            left_.erase(left_.begin() + pick_at);
            built.seq.insert(built.seq.begin() + x.j, 2 * req + 1);
            if (x.i >= 0) built.seq.insert(built.seq.begin() + x.i, 2 * req);
            refresh(in_, built);
            if (in_.general) improve_breaks(in_, built);
        }
        return in_.general ? built.feasible : true;
    }

    // The best of the three rebuilds of `base` with `reqs` (route order, reversed,
    // cheapest first) into `out` when it is feasible and cheaper than `out` (or `out`
    // is not feasible); true when `out` ends feasible.
    bool best_rebuild(const Route& base, std::vector<int>& reqs, Route& out, bool ok) {
        for (int order = 0; order < 3; ++order) {
            if (order == 1) std::reverse(reqs.begin(), reqs.end());
            if (rebuild(base, reqs, order == 2) && (!ok || rebuilt_.cost < out.cost)) {
                std::swap(out, rebuilt_);
                ok = true;
            }
        }
        return ok;
    }

    // Route `r` without the request stops from position k on (its breaks kept).
    void keep_head(const Route& r, int k, Route& out) {
        out.v = r.v;
        out.seq.assign(r.seq.begin(), r.seq.begin() + k);
        for (int i = k; i < r.size(); ++i) {
            if (in_.is_break(r.seq[i])) out.seq.push_back(r.seq[i]);
        }
        refresh(in_, out);
        if (in_.general) improve_breaks(in_, out);
    }

    // ---- distance: adaptive large neighbourhood search ------------------------------
    // The best plan is kept by the true objective, but candidates are accepted on one
    // where a vehicle's fixed cost is capped near a route's cost: with vehicles first
    // (Li & Lim), a route may open for a while to leave a tight corner of the search.
    // Parallel searches offer their best once per segment of iterations, and a search
    // whose own best has not improved for `share_after` iterations takes the shared
    // best, when better, as its best and current plan.
    Solution lns(Solution s, Clock::time_point deadline) {
        std::vector<i64> soft = soft_fixed_costs(s);
        bool softened = soft != in_.v_fixed;
        ins_.set_fixed(soft);
        Solution best = s;
        i64 f_cur = s.objective(in_, soft);
        i64 f_best = s.objective(in_);
        const auto start = Clock::now();
        const double total = std::max(1e-3, seconds_between(start, deadline));
        double arcs = 0;
        for (const Route& r : s.routes) arcs += static_cast<double>(r.cost);
        // on a small problem one request is a large share of the cost: each move is a big
        // step, and a temperature set by the plan's cost alone would hardly ever accept
        // one uphill (kSmallProblem requests and more: as it was)
        const double small = std::max(1.0, kSmallProblem / std::max(1.0, double(in_.n_req)));
        const double t0 = std::max(1.0, params_.start_temp * small * arcs / std::log(2.0));
        const double t1 = std::max(1e-3, params_.end_temp * arcs / std::log(2.0));
        std::vector<double> w_destroy(kDestroyOps, 1.0), w_repair(kRepairOps, 1.0);
        // the fast mode's fleets are alike: a segment moves between vehicles only when
        // the exact timing (a duration cap, ride limits) makes a route's hours its own;
        // those days also take out what is served around one moment, on every route
        if (!in_.general && !in_.exact_timing) w_destroy[kSegmentOp] = 0;
        if (in_.general || !in_.exact_timing) w_destroy[kMomentOp] = 0;
        std::vector<double> score_d(kDestroyOps, 0), score_r(kRepairOps, 0);
        std::vector<int> uses_d(kDestroyOps, 0), uses_r(kRepairOps, 0);
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        std::vector<int> pool;
        long iteration = 0;
        long eject_work = 0;  // insertion searches spent in the repairs' ejection chains
        long gain_iteration = 0;  // the iteration of the last improvement of the best
        long stall_base = 0, stall_tries = 0;  // relocate_windowed's passes on this best
        auto last_gain = start;
        if (shared_) shared_->offer(best, f_best);
        const auto patience = seconds(params_.patience_s);
        const long max_iter = params_.lns_iterations;
        while (true) {
            const auto now = Clock::now();
            if (now >= deadline || in_.n_req == 0) break;
            if (params_.patience_s > 0 && now - last_gain > patience) break;
            if (max_iter >= 0 && iteration >= max_iter) break;
            if (params_.improvement_limit >= 0 &&
                stats_.lns_improvements >= params_.improvement_limit)
                break;
            const double frac = max_iter > 0 ? static_cast<double>(iteration) / max_iter
                                             : seconds_between(start, now) / total;
            const double temp = t0 * std::pow(t1 / t0, frac);
            if (softened && frac >= params_.soft_share) {
                // the rest of the time polishes the best plan on the true objective
                softened = false;
                soft = in_.v_fixed;
                ins_.set_fixed(soft);
                s = best;
                f_cur = f_best;
            }
            Solution cand = s;
            const int od = roulette(w_destroy);
            const int orp = roulette(w_repair);
            pool.clear();
            destroy(cand, od, removal_count(cand), pool);
            if (od == kSegmentOp) move_segment(cand, pool, soft);
            if (!in_.general && params_.reorder >= 3) moved_ = pool;
            repair(cand, pool, orp);
            if (params_.lns_eject_steps > 0 && !pool.empty() &&
                static_cast<double>(eject_work) <=
                    params_.eject_share * static_cast<double>(ins_.calls() - eject_work)) {
                // tight fleets: push the left-overs in by ejection chains before judging;
                // what is still out stays unassigned and its penalty judges the candidate
                // (a chain that ends worse than the repair, having ejected what it could
                // not place again, is undone: a long single stop, a home visit, that only
                // one car can make would otherwise push out everything it meets); within
                // their share of the work (`eject_share`)
                std::reverse(pool.begin(), pool.end());
                repaired_ = cand;
                const long before = ins_.calls();
                if (!fill(cand, pool, deadline, false,
                          params_.lns_eject_steps * static_cast<long>(pool.size()), false) &&
                    cand.objective(in_, soft) > repaired_.objective(in_, soft))
                    cand = repaired_;
                eject_work += ins_.calls() - before;
            }
            // the fast mode polishes a candidate's new routes when it is near enough to be
            // accepted (within kPolishShare of the current plan): the order of a route
            // that took a request may pay for the move
            if (!in_.general && params_.reorder >= 3 &&
                cand.objective(in_, soft) <= f_cur + f_cur / kPolishShare)
                polish_routes(cand, moved_);
            const i64 f = cand.objective(in_, soft);
            const i64 f_true = cand.objective(in_);
            double score = 0;
            if (f_true < f_best) {
                best = cand;
                f_best = f_true;
                score = 33;
                ++stats_.lns_improvements;
                last_gain = Clock::now();
                gain_iteration = iteration;
            }
            bool accepted = true;
            if (f < f_cur) {
                if (score == 0) score = 9;
                f_cur = f;
            } else if (f == f_cur) {
                // plateaus (stops at one place, vehicles alike): moving along them is
                // what lets a chain of stops reorder or a pair of requests change car
            } else if (f > f_cur && unit(rng_) < std::exp(-static_cast<double>(f - f_cur) / temp)) {
                score = 13;
                f_cur = f;
            } else {
                accepted = false;
            }
            if (accepted) {
                if (!pool_.full() &&
                    static_cast<double>(f_true) <= (1.0 + params_.pool_gap) * static_cast<double>(f_best))
                    pool_.add(in_, cand);
                s = std::move(cand);
            }
            score_d[od] += score;
            score_r[orp] += score;
            ++uses_d[od];
            ++uses_r[orp];
            if (++iteration % kSegment == 0) {
                adapt(w_destroy, score_d, uses_d);
                adapt(w_repair, score_r, uses_r);
                // the current plan may have drifted to where an exchange pays
                const bool swapped = exchange_routes(s, deadline);
                const bool reordered = params_.reorder >= 2 && reorder_blocks(s);
                if (relocate_blocks(s, deadline) || swapped || reordered) {
                    f_cur = s.objective(in_, soft);
                    if (s.objective(in_) < f_best) {
                        best = s;
                        f_best = s.objective(in_);
                        ++stats_.lns_improvements;
                        last_gain = Clock::now();
                        gain_iteration = iteration;
                    }
                }
                // a stalled search tries the moves it cannot make: every kStall
                // iterations and kStallTime of the time without a better best, with a
                // window one stop wider
                if (stall_base != gain_iteration) {
                    stall_base = gain_iteration;
                    stall_tries = 0;
                }
                const int window = params_.window + static_cast<int>(stall_tries);
                const auto at = Clock::now();
                const double stalled_share =  // of the budget: iterations or time
                    max_iter > 0 ? static_cast<double>(iteration - gain_iteration) / max_iter
                                 : seconds_between(last_gain, at) / total;
                if (!in_.general && params_.window > 0 && window <= kMaxWindow &&
                    iteration - gain_iteration >= kStall * (stall_tries + 1) &&
                    stalled_share >= kStallTime * (stall_tries + 1)) {
                    ++stall_tries;
                    stalled_ = best;
                    // at most a quarter of the time left, and half the time it has
                    // stalled (a dial-a-ride day runs 1,000 iterations in a tenth of a
                    // second, a pass over it may take seconds: it stops part way)
                    const auto pass_end =
                        at + std::min((deadline - at) / kStallShare, (at - last_gain) / 2);
                    if (relocate_windowed(stalled_, window, pass_end) &&
                        stalled_.objective(in_) < f_best) {
                        best = stalled_;
                        f_best = best.objective(in_);
                        s = best;
                        f_cur = s.objective(in_, soft);
                        ++stats_.lns_improvements;
                        ++stats_.stall_escapes;
                        last_gain = Clock::now();
                        gain_iteration = iteration;
                    }
                }
                if (shared_) {
                    shared_->offer(best, f_best);
                    if (iteration - gain_iteration >= params_.share_after &&
                        shared_->take(adopted_, f_best)) {
                        best = adopted_;
                        f_best = best.objective(in_);
                        s = best;
                        f_cur = s.objective(in_, soft);
                        ++stats_.adoptions;
                        last_gain = Clock::now();
                        gain_iteration = iteration;
                    }
                }
            }
        }
        // polish: every route of the best plan to a block order no single move shortens
        for (int v = 0; v < in_.n_veh && !in_.general && params_.reorder >= 1; ++v) {
            while (best.routes[v].size() >= 4 && reorder_route(best, v)) f_best = -1;
        }
        if (f_best < 0) f_best = best.objective(in_);
        if (shared_) shared_->offer(best, f_best);
        if (params_.pool > 0 && !in_.general) pool_.add(in_, best, true);
        stats_.lns_iterations = iteration;
        stats_.eject_searches = eject_work;
        stats_.insertion_searches = ins_.calls();
        ins_.set_fixed(in_.v_fixed);
        return best;
    }

    std::vector<i64> soft_fixed_costs(const Solution& s) const {
        std::vector<i64> soft = in_.v_fixed;
        if (params_.soft_fixed <= 0) return soft;
        double arcs = 0;
        int used = 0;
        for (const Route& r : s.routes) {
            if (!r.empty()) {
                arcs += static_cast<double>(r.cost);
                ++used;
            }
        }
        const i64 cap = static_cast<i64>(params_.soft_fixed * arcs / std::max(1, used));
        for (i64& c : soft) c = std::min(c, cap);
        return soft;
    }

  private:
    static constexpr int kDestroyOps = 6;  // random, worst, related, route, segment, moment
    static constexpr int kSegmentOp = 4;
    static constexpr int kMomentOp = 5;
    static constexpr int kRepairOps = 6;   // {greedy, regret-2, regret-3} x {plain, noise}
    static constexpr int kSegment = 100;
    static constexpr long kStall = 1000;  // LNS iterations without a better best: stalled
    static constexpr double kStallTime = 0.05;  // ... and this share of the time
    static constexpr int kMaxWindow = 6;   // relocate_windowed: (6 + 1)! orders at most
    static constexpr int kDropWindow = 2;  // ... and the stops reordered with a dropoff
    static constexpr int kStallShare = 4;  // a pass may take 1 / this of the time left
    static constexpr int kNearStops = 10;  // relocate_windowed: routes serving these take
    static constexpr int kLiftTries = 8;  // insertions tried with the breaks placed again
    static constexpr double kFirstExchangeShare = 0.25;  // of the time, before the LNS
    static constexpr int kPolishShare = 100;  // 1 / the share (1 %)
    static constexpr int kReorderStops = 3;  // stops a run moved within its route holds
    static constexpr int kBlockSpan = 2;  // stretches between empty points a moved block spans
    static constexpr int kMinRuin = 4;    // a destroy may take out this many, however few

    static constexpr double kSmallProblem = 30;  // requests: below, hotter and finer moves
    static constexpr i64 kMissing = kInf / 8;

    struct Ejection {
        i64 psum = kInf;
        i64 delta = kInf;
        std::vector<int> out;
        Insertion ins;
    };

    static Clock::duration seconds(double s) {
        return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
    }
    static double seconds_between(Clock::time_point a, Clock::time_point b) {
        return std::chrono::duration<double>(b - a).count();
    }
    static double elapsed(Clock::time_point since) { return seconds_between(since, Clock::now()); }

    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

    bool has_fixed_costs() const {
        return std::any_of(in_.v_fixed.begin(), in_.v_fixed.end(), [](i64 c) { return c > 0; });
    }

    // -- ejection search ------------------------------------------------------------
    bool find_ejection(const Solution& s, int req, Ejection& best) {
        for (int v = 0; v < in_.n_veh; ++v) {
            const Route& r = s.routes[v];
            if (r.empty() || !in_.can(req, v)) continue;
            const std::vector<int> members = s.requests_of(in_, v);
            const long m = static_cast<long>(members.size());
            const long per_subset = std::max<long>(1, (r.size() + 2) * (r.size() + 2) / 2);
            int kmax = std::min<int>(params_.eject_max, static_cast<int>(m));
            while (kmax > 1 && subsets(m, kmax) * per_subset > params_.eject_work) --kmax;
            chosen_.clear();
            eject_rec(r, members, 0, kmax, 0, req, best);
        }
        return best.ins.ok();
    }

    static long subsets(long m, int k) {
        long total = 0, c = 1;
        for (int j = 1; j <= k; ++j) {
            c = c * (m - j + 1) / j;
            total += c;
        }
        return total;
    }

    void eject_rec(const Route& r, const std::vector<int>& members, int from, int left, i64 psum,
                   int req, Ejection& best) {
        for (int k = from; k < static_cast<int>(members.size()); ++k) {
            const int out = members[k];
            const i64 ps = psum + pen_[out];
            if (ps > best.psum) continue;
            chosen_.push_back(out);
            trial_.v = r.v;
            if (in_.general) {
                trial_.seq = r.seq;
                for (int c : chosen_) Solution::erase_request(in_, trial_.seq, c);
            } else {
                trial_.seq.clear();
                for (int node : r.seq) {
                    if (std::find(chosen_.begin(), chosen_.end(), node >> 1) == chosen_.end())
                        trial_.seq.push_back(node);
                }
            }
            refresh(in_, trial_);
            const Insertion x = trial_.feasible ? ins_.best_in_route(trial_, req) : Insertion{};
            if (x.ok() && (ps < best.psum || (ps == best.psum && x.delta < best.delta))) {
                best.psum = ps;
                best.delta = x.delta;
                best.out = chosen_;
                best.ins = x;
            }
            if (left > 1) eject_rec(r, members, k + 1, left - 1, ps, req, best);
            chosen_.pop_back();
        }
    }

    // Random feasible relocations: diversification between ejections.
    void perturb(Solution& s, int moves) {
        for (int m = 0; m < moves; ++m) {
            const int req = pick(in_.n_req);
            const int from = s.route_of[req];
            if (from < 0) continue;
            if (in_.general && in_.mode[req] == Instance::kFixed) continue;
            const Route& r = s.routes[from];
            int pi = -1, di = -1;
            for (int k = 0; k < r.size(); ++k) {
                if (r.seq[k] == 2 * req) pi = k;
                if (r.seq[k] == 2 * req + 1) di = k;
            }
            const bool drop_only = in_.one_stop(req);
            const int restore_i = drop_only ? -1 : pi, restore_j = drop_only ? di : di - 1;
            Solution backup;
            if (in_.general) backup = s;
            one_.assign(1, req);
            s.remove(in_, one_);
            if (in_.general && !s.routes[from].feasible) {
                s = std::move(backup);
                continue;
            }
            options_.clear();
            for (int v = 0; v < in_.n_veh; ++v) {
                if (!s.routes[v].empty() && in_.can(req, v))
                    ins_.feasible_in_route(s.routes[v], req, options_);
            }
            if (options_.empty()) {
                if (in_.general) {
                    s = std::move(backup);
                } else {
                    s.insert(in_, req, from, restore_i, restore_j);
                }
            } else {
                const Insertion& x = options_[pick(static_cast<int>(options_.size()))];
                s.insert(in_, req, x.v, x.i, x.j);
            }
        }
    }

    // -- destroy ----------------------------------------------------------------------
    // How many requests a destroy takes out: a share of them, but on small problems
    // up to kMinRuin (three rides that must swap places need three out at once) and
    // down to one (one request put back at its best place: with three, taking out two
    // at least misses that move).
    int removal_count(const Solution& s) {
        const int assigned = in_.n_req - s.unassigned();
        const int share = static_cast<int>(std::ceil(params_.max_remove_share * in_.n_req));
        const int hi = std::max(
            1, std::min({params_.max_remove, assigned, std::max(share, kMinRuin)}));
        const int lo = in_.n_req < kSmallProblem ? 1 : std::min(params_.min_remove, hi);
        return std::uniform_int_distribution<int>(lo, hi)(rng_);
    }

    void destroy(Solution& s, int op, int q, std::vector<int>& out) {
        assigned_.clear();
        for (int r = 0; r < in_.n_req; ++r) {
            if (s.route_of[r] < 0) {
                out.push_back(r);  // left-out requests always get another chance
            } else if (!in_.general || in_.mode[r] != Instance::kFixed) {
                assigned_.push_back(r);
            }
        }
        if (assigned_.empty()) return;
        q = std::min<int>(q, static_cast<int>(assigned_.size()));
        std::vector<int> removed;
        switch (op) {
            case 0: random_removal(q, removed); break;
            case 1: worst_removal(s, q, removed); break;
            case 2: related_removal(s, q, removed); break;
            case 3: route_removal(s, q, removed); break;
            case kSegmentOp: segment_removal(s, q, removed); break;
            default: moment_removal(s, q, removed); break;
        }
        touched_.clear();
        if (in_.general) {
            for (int r : removed) touched_.push_back(s.route_of[r]);
            std::sort(touched_.begin(), touched_.end());
            touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
        }
        s.remove(in_, removed);
        out.insert(out.end(), removed.begin(), removed.end());
        for (int v : touched_) reseat_breaks(s.routes[v]);
    }

    // Each break of a route to a random position among those that cost no more (where
    // it is included): breaks often cost the same in many places (no hourly cost, or
    // taken in idle time), and the place a break keeps decides which requests the
    // repair can put around it (a ride limit that a lunch on board would break).
    void reseat_breaks(Route& r) {
        if (r.empty() || in_.v_breaks[r.v].empty()) return;
        for (int b : in_.v_breaks[r.v]) {
            const auto it = std::find(r.seq.begin(), r.seq.end(), b);
            if (it == r.seq.end()) continue;
            const int from = static_cast<int>(it - r.seq.begin());
            scratch_ = r.seq;
            scratch_.erase(scratch_.begin() + from);
            options_k_.assign(1, from);
            for (int k = 0; k <= static_cast<int>(scratch_.size()); ++k) {
                if (k == from) continue;
                scratch_.insert(scratch_.begin() + k, b);
                i64 c = 0;
                const int n = static_cast<int>(scratch_.size());
                if (timer().evaluate(in_, r.v, scratch_.data(), n, c) && c <= r.cost)
                    options_k_.push_back(k);
                scratch_.erase(scratch_.begin() + k);
            }
            const int to = options_k_[pick(static_cast<int>(options_k_.size()))];
            if (to == from) continue;
            r.seq.erase(r.seq.begin() + from);
            r.seq.insert(r.seq.begin() + to, b);
            refresh(in_, r);
        }
    }

    void random_removal(int q, std::vector<int>& removed) {
        std::shuffle(assigned_.begin(), assigned_.end(), rng_);
        removed.assign(assigned_.begin(), assigned_.begin() + q);
    }

    // Requests whose removal saves the most, with randomness (p = 3).
    void worst_removal(const Solution& s, int q, std::vector<int>& removed) {
        std::vector<std::pair<i64, int>> saving;
        saving.reserve(assigned_.size());
        for (int req : assigned_) saving.push_back({removal_saving(s, req), req});
        std::sort(saving.begin(), saving.end(), std::greater<>());
        take_ranked(saving, 3.0, q, removed);
    }

    // Requests from `ranked` (best first) until `removed` holds q: the k-th drawn at
    // u^power of the way down the list (u uniform), the next one not taken if taken.
    void take_ranked(const std::vector<std::pair<i64, int>>& ranked, double power, int q,
                     std::vector<int>& removed) {
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        std::vector<char> taken(ranked.size(), 0);
        while (static_cast<int>(removed.size()) < q) {
            std::size_t k = static_cast<std::size_t>(std::pow(unit(rng_), power) * ranked.size());
            while (taken[k]) k = (k + 1) % ranked.size();
            taken[k] = 1;
            removed.push_back(ranked[k].second);
        }
    }

    i64 removal_saving(const Solution& s, int req) {
        const Route& r = s.routes[s.route_of[req]];
        const int v = r.v;
        if (in_.general) {
            scratch_ = r.seq;
            Solution::erase_request(in_, scratch_, req);
            i64 c = 0;
            if (!timer().evaluate(in_, v, scratch_.data(), static_cast<int>(scratch_.size()), c))
                return 0;
            return r.cost - c;
        }
        int a = -1, b = -1;
        for (int k = 0; k < r.size(); ++k) {
            if (r.seq[k] == 2 * req) a = k;
            if (r.seq[k] == 2 * req + 1) b = k;
        }
        const int la = location_at(in_, r, a), lb = location_at(in_, r, b);
        if (b == a + 1) {
            const int prev = location_at(in_, r, a - 1), next = location_at(in_, r, b + 1);
            return in_.arc(v, prev, la) + in_.arc(v, la, lb) + in_.arc(v, lb, next) -
                   in_.arc(v, prev, next);
        }
        const int pa = location_at(in_, r, a - 1), na = location_at(in_, r, a + 1);
        const int pb = location_at(in_, r, b - 1), nb = location_at(in_, r, b + 1);
        return in_.arc(v, pa, la) + in_.arc(v, la, na) - in_.arc(v, pa, na) + in_.arc(v, pb, lb) +
               in_.arc(v, lb, nb) - in_.arc(v, pb, nb);
    }

    // Shaw removal: requests close in space and time to one already removed (p = 6).
    void related_removal(const Solution& s, int q, std::vector<int>& removed) {
        start_times(s);
        double max_t = 1;
        for (int r : assigned_) {
            max_t = std::max(max_t, static_cast<double>(start_[2 * r + 1]));
        }
        const double max_d = static_cast<double>(in_.max_dist);
        std::vector<char> gone(in_.n_req, 0);
        const int first = assigned_[pick(static_cast<int>(assigned_.size()))];
        removed.push_back(first);
        gone[first] = 1;
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        std::vector<std::pair<double, int>> rel;
        while (static_cast<int>(removed.size()) < q) {
            const int seed = removed[pick(static_cast<int>(removed.size()))];
            rel.clear();
            // a request with one routed stop (on board, visit) is related by that stop twice
            const int hs = in_.head(seed);
            for (int r : assigned_) {
                if (gone[r]) continue;
                const int hr = in_.head(r);
                const double dd = static_cast<double>(in_.d(in_.loc[hs], in_.loc[hr]) +
                                                      in_.d(in_.loc[2 * seed + 1], in_.loc[2 * r + 1]));
                const double dt = static_cast<double>(std::llabs(start_[hs] - start_[hr]) +
                                                      std::llabs(start_[2 * seed + 1] - start_[2 * r + 1]));
                rel.push_back({9.0 * dd / max_d + 3.0 * dt / max_t, r});
            }
            if (rel.empty()) break;
            // the k-th most related (pairs never tie: the same pick as a full sort)
            const std::size_t k = static_cast<std::size_t>(std::pow(unit(rng_), 6.0) * rel.size());
            std::nth_element(rel.begin(), rel.begin() + static_cast<std::ptrdiff_t>(k), rel.end());
            removed.push_back(rel[k].second);
            gone[rel[k].second] = 1;
        }
    }

    // The q requests served nearest one moment (a random request's pickup), on every
    // route, with randomness (p = 6): which vehicle covers which hours changes only
    // when the requests of those hours leave their routes together.
    void moment_removal(const Solution& s, int q, std::vector<int>& removed) {
        start_times(s);
        const int anchor = assigned_[pick(static_cast<int>(assigned_.size()))];
        const i64 at = start_[in_.head(anchor)];
        std::vector<std::pair<i64, int>> near;
        near.reserve(assigned_.size());
        for (int r : assigned_)
            near.push_back({std::llabs(start_[in_.head(r)] - at) + std::llabs(start_[2 * r + 1] - at), r});
        std::sort(near.begin(), near.end());
        take_ranked(near, 6.0, q, removed);
    }

    // Up to q requests one after another on one route (by their first stops; those
    // bound to it stay), for `move_segment` to put into another vehicle together.
    void segment_removal(const Solution& s, int q, std::vector<int>& removed) {
        used_.clear();
        for (int v = 0; v < in_.n_veh; ++v) {
            if (!s.routes[v].empty()) used_.push_back(v);
        }
        segment_from_ = used_[pick(static_cast<int>(used_.size()))];
        std::vector<int> heads;
        for (int node : s.routes[segment_from_].seq) {
            if (in_.general && (in_.is_break(node) || !in_.movable(node) ||
                                in_.bound_request(node >> 1)))
                continue;
            if (node == in_.head(node >> 1)) heads.push_back(node >> 1);
        }
        if (heads.empty()) return;
        const int from = pick(static_cast<int>(heads.size()));
        const int count = 1 + pick(std::min<int>(q, static_cast<int>(heads.size()) - from));
        removed.assign(heads.begin() + from, heads.begin() + from + count);
    }

    // The requests of a segment (`pool`) all into the one other vehicle where they cost
    // least, inserted one by one cheapest first; left in the pool when none takes them.
    void move_segment(Solution& s, std::vector<int>& pool, const std::vector<i64>& fixed) {
        if (pool.empty()) return;
        i64 best_delta = kInf;
        int best_w = -1;
        seen_class_.assign(in_.n_veh, 0);
        for (int w = 0; w < in_.n_veh; ++w) {
            const Route& r = s.routes[w];
            if (w == segment_from_ || closed(w)) continue;
            if (r.empty()) {
                if (seen_class_[in_.v_class[w]]) continue;  // one unused per class
                seen_class_[in_.v_class[w]] = 1;
            }
            if (!std::all_of(pool.begin(), pool.end(), [&](int req) { return in_.can(req, w); }))
                continue;
            moving_ = pool;
            if (!rebuild(r, moving_, true)) continue;
            const i64 delta = rebuilt_.cost + (r.empty() ? fixed[w] : -r.cost);
            if (delta < best_delta) {
                best_delta = delta;
                best_w = w;
                std::swap(segment_route_, rebuilt_);
            }
        }
        if (best_w < 0) return;
        s.routes[best_w] = std::move(segment_route_);
        for (int req : pool) s.route_of[req] = best_w;
        pool.clear();
    }

    // A whole short route, topped up with random requests up to q.
    void route_removal(const Solution& s, int q, std::vector<int>& removed) {
        std::vector<int> used;
        for (int v = 0; v < in_.n_veh; ++v) {
            if (!s.routes[v].empty()) used.push_back(v);
        }
        const int v = used[pick(static_cast<int>(used.size()))];
        removed = s.requests_of(in_, v);
        if (static_cast<int>(removed.size()) >= q) return;
        std::shuffle(assigned_.begin(), assigned_.end(), rng_);
        for (int r : assigned_) {
            if (static_cast<int>(removed.size()) >= q) break;
            if (s.route_of[r] != v) removed.push_back(r);
        }
    }

    void start_times(const Solution& s) {
        start_.assign(in_.n_all(), 0);
        for (const Route& r : s.routes) {
            for (int k = 0; k < r.size(); ++k) start_[r.seq[k]] = r.early_at[k];
        }
    }

    // -- repair -----------------------------------------------------------------------
    // Greedy (regret 1) or regret-k insertion of the pool, optionally with noise;
    // best insertions are cached per (request, vehicle) and refreshed per changed route.
    void repair(Solution& s, std::vector<int>& pool, int op) {
        const int regret = 1 + op % 3;
        const bool noisy = op >= 3;
        const int K = in_.n_veh;
        const int m = static_cast<int>(pool.size());
        cache_.assign(static_cast<std::size_t>(m) * K, Insertion{});
        active_.assign(K, 0);
        std::vector<char> rep_seen(K, 0);
        for (int v = 0; v < K; ++v) {
            if (!s.routes[v].empty()) {
                active_[v] = 1;
            } else if (!rep_seen[in_.v_class[v]]) {
                rep_seen[in_.v_class[v]] = 1;
                active_[v] = 1;
            }
        }
        for (int v = 0; v < K; ++v) {
            if (active_[v]) fill_column(s, pool, v);
        }
        std::uniform_real_distribution<double> unit(-1.0, 1.0);
        const double noise = 0.025 * static_cast<double>(in_.max_arc);
        std::vector<i64> top(regret);
        std::vector<int> top_v(regret);
        int alive = m;
        while (alive > 0) {
            int pick_k = -1;
            double pick_regret = -1, pick_cost = 0;
            for (int k = 0; k < alive; ++k) {
                top_row(s, pool, k, top, top_v);
                if (top[0] >= kMissing) continue;
                double c0 = static_cast<double>(top[0]);
                if (noisy) c0 = std::max(0.0, c0 + noise * unit(rng_));
                double reg = 0;
                for (int h = 1; h < regret; ++h) reg += static_cast<double>(top[h] - top[0]);
                const bool better = regret == 1
                                        ? (pick_k < 0 || c0 < pick_cost)
                                        : (reg > pick_regret || (reg == pick_regret && c0 < pick_cost));
                if (better) {
                    pick_k = k;
                    pick_regret = reg;
                    pick_cost = c0;
                }
            }
            if (pick_k < 0) break;
            settle_ties(s, pool, pick_k);
            int best_v = -1;
            double best_c = 0;
            int ties = 0;
            vehicle_c_.assign(K, 0.0);
            for (int v = 0; v < K; ++v) {
                const Insertion& x = cache_[static_cast<std::size_t>(pick_k) * K + v];
                if (!active_[v] || !x.ok()) continue;
                // live problems: noise picks among vehicles too (ties between depots)
                const double c = static_cast<double>(x.delta) +
                                 (noisy && in_.general ? noise * unit(rng_) : 0.0);
                vehicle_c_[v] = c;
                if (best_v < 0 || c < best_c) {
                    best_v = v;
                    best_c = c;
                    ties = 1;
                } else if (c == best_c) {
                    ++ties;
                }
            }
            // exact ties between vehicles: one at random, uniformly (drawn once the least
            // is known: a draw for entries only tied on the way would read entries that
            // were never exactly timed)
            for (int v = 0, nth = ties > 1 ? pick(ties) : -1; nth >= 0 && v < K; ++v) {
                const Insertion& x = cache_[static_cast<std::size_t>(pick_k) * K + v];
                if (active_[v] && x.ok() && vehicle_c_[v] == best_c && nth-- == 0) best_v = v;
            }
            const Insertion x = cache_[static_cast<std::size_t>(pick_k) * K + best_v];
            const bool was_empty = s.routes[best_v].empty();
            s.insert(in_, pool[pick_k], x.v, x.i, x.j);
            // drop row pick_k by moving the last live row into it
            --alive;
            std::swap(pool[pick_k], pool[alive]);
            std::copy_n(cache_.begin() + static_cast<std::ptrdiff_t>(alive) * K, K,
                        cache_.begin() + static_cast<std::ptrdiff_t>(pick_k) * K);
            pool.resize(alive);
            fill_column(s, pool, best_v);
            if (was_empty) {
                for (int v = 0; v < K; ++v) {
                    if (v != best_v && s.routes[v].empty() && in_.v_class[v] == in_.v_class[best_v]) {
                        active_[v] = 1;
                        fill_column(s, pool, v);
                        break;
                    }
                }
            }
        }
    }

    // Column v of the repair's cache: each request's cheapest place on route v by the
    // cheap tests; the exact timing waits until a choice depends on it (`top_row`,
    // `settle_ties`), which is the same choice as timing every entry at once.
    void fill_column(const Solution& s, const std::vector<int>& pool, int v) {
        const int K = in_.n_veh;
        for (int k = 0; k < static_cast<int>(pool.size()); ++k) {
            cache_[static_cast<std::size_t>(k) * K + v] =
                in_.can(pool[k], v) ? ins_.cheapest(s.routes[v], pool[k]) : Insertion{};
        }
    }

    Insertion& settled(const Solution& s, const std::vector<int>& pool, int k, int v) {
        Insertion& x = cache_[static_cast<std::size_t>(k) * in_.n_veh + v];
        if (!x.checked) x = ins_.settle(s.routes[v], pool[k], x);
        return x;
    }

    // The `top.size()` least costs of placing request k over the active vehicles, each
    // exactly timed: an entry that fails its check only grows, so the row is settled
    // once its least entries all passed.
    void top_row(const Solution& s, const std::vector<int>& pool, int k, std::vector<i64>& top,
                 std::vector<int>& top_v) {
        const int K = in_.n_veh;
        const int n_top = static_cast<int>(top.size());
        for (;;) {
            std::fill(top.begin(), top.end(), kMissing);
            std::fill(top_v.begin(), top_v.end(), -1);
            for (int v = 0; v < K; ++v) {
                const Insertion& x = cache_[static_cast<std::size_t>(k) * K + v];
                if (!active_[v] || !x.ok()) continue;
                i64 c = x.delta;
                int cv = v;
                for (int h = 0; h < n_top; ++h) {
                    if (c < top[h]) {
                        std::swap(c, top[h]);
                        std::swap(cv, top_v[h]);
                    }
                }
            }
            bool timed = true;
            for (int h = 0; h < n_top; ++h) {
                if (top_v[h] < 0) break;
                const Insertion& x = cache_[static_cast<std::size_t>(k) * K + top_v[h]];
                if (x.checked) continue;
                const i64 was = x.delta;
                if (settled(s, pool, k, top_v[h]).delta != was) timed = false;
            }
            if (timed) return;
        }
    }

    // Every entry of row k that may be its least (the vehicle the request goes to, ties
    // drawn at random) exactly timed.
    void settle_ties(const Solution& s, const std::vector<int>& pool, int k) {
        const int K = in_.n_veh;
        for (;;) {
            i64 least = kMissing;
            for (int v = 0; v < K; ++v) {
                const Insertion& x = cache_[static_cast<std::size_t>(k) * K + v];
                if (active_[v] && x.ok()) least = std::min(least, x.delta);
            }
            bool timed = true;
            for (int v = 0; v < K; ++v) {
                const Insertion& x = cache_[static_cast<std::size_t>(k) * K + v];
                if (!active_[v] || !x.ok() || x.checked || x.delta != least) continue;
                if (settled(s, pool, k, v).delta != least) timed = false;
            }
            if (timed) return;
        }
    }

    int roulette(const std::vector<double>& w) {
        const double total = std::accumulate(w.begin(), w.end(), 0.0);
        double x = std::uniform_real_distribution<double>(0.0, total)(rng_);
        for (int k = 0; k < static_cast<int>(w.size()); ++k) {
            x -= w[k];
            if (x <= 0 && w[k] > 0) return k;
        }
        int last = static_cast<int>(w.size()) - 1;  // rounding: the last one that may run
        while (last > 0 && w[last] <= 0) --last;
        return last;
    }

    static void adapt(std::vector<double>& w, std::vector<double>& score, std::vector<int>& uses) {
        for (std::size_t k = 0; k < w.size(); ++k) {
            if (uses[k] > 0) w[k] = std::max(0.05, 0.9 * w[k] + 0.1 * score[k] / uses[k]);
            score[k] = 0;
            uses[k] = 0;
        }
    }

    const Instance& in_;
    Params params_;
    Inserter ins_;
    std::mt19937_64 rng_;
    std::vector<i64> pen_;
    Stats stats_;
    // scratch
    std::vector<char> seen_class_, active_;
    std::vector<int> chosen_, one_, assigned_, touched_, options_k_;
    std::vector<Insertion> options_, cache_;
    std::vector<double> vehicle_c_;
    std::vector<i64> start_;
    std::vector<int> scratch_;
    Route trial_;
    Solution base_;
    Solution repaired_;  // LNS: the candidate before its ejection chain
    Route swap_u_, swap_w_;  // route exchanges: the two routes on their new vehicles
    Route rebuilt_;          // route exchanges: a route rebuilt by insertion
    Route bare_, lifted_, best_lifted_;  // a route without its breaks; with them placed again
    std::vector<int> moving_, left_;
    Route unused_;  // route exchanges: a vehicle's empty route
    std::vector<int> used_;
    std::vector<int> moved_;  // the requests an LNS step took out (fast mode: polished)
    // relocate_windowed: the requests in the order tried, the routes near one, the stops
    // by distance, a stalled LNS's best, the route left and the route taking the request
    std::vector<int> order_, near_, buf_, trial_seq_, win_, perm_, used_win_, drop_;
    std::vector<i64> into_;
    std::vector<std::pair<i64, int>> nodes_by_;
    Solution stalled_;
    Route from_, kept_;
    std::vector<int> at_;  // reorder_route: each stop's position on the route (else -1)
    int segment_from_ = -1;  // the route the last segment removal took from
    Route segment_route_;    // the best route found for a segment
    long ges_left_ = -1;
    SharedBest* shared_ = nullptr;
    RoutePool pool_;
    Solution adopted_;  // parallel searches: the shared best taken
    int ges_target_ = -1;  // route minimisation: the vehicles the running fill aims at
};

}  // namespace noriai
