// The instance as the native search sees it: flat integer arrays, nothing else.
//
// Nodes are the requests' stops: node 2r is the pickup of request r, node 2r+1 its
// dropoff. Locations index the travel-time and distance matrices. Times are the
// start of service; a route departs its start location no earlier than `v_early`,
// arrives at its end location no later than `v_late`, and may last `v_max_dur`.
// Costs are integers (the caller's unit): per vehicle, a fixed cost if used plus
// `v_rate_dist` per distance unit and `v_rate_time` per travel-time unit.
//
// The general mode (`general`) takes everything a live day has: driver breaks (nodes
// 2 * n_req + b, zero travel, holding the vehicle for their duration), locked route
// prefixes, requests whose pickup is done or locked (only their dropoff moves, on the
// vehicle they are bound to), single-stop requests (home visits: node 2r + 1 alone, on
// any allowed vehicle, node 2r an unused stand-in), closed vehicles and loads on board
// at the start. Its
// routes are timed and costed exactly as the Python plan is (see general.hpp): per used
// vehicle `v_rate_dist` per distance unit plus `v_rate_dur` per second of route
// duration (waiting included), plus `excess_rate` per second of excess ride.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace noriai {

using i64 = std::int64_t;
constexpr i64 kInf = std::numeric_limits<i64>::max() / 4;
constexpr int kDims = 3;

struct Instance {
    int n_loc = 0;
    int n_req = 0;
    int n_veh = 0;
    std::vector<i64> time, dist;           // n_loc * n_loc
    std::vector<int> loc;                  // per node
    std::vector<i64> service, early, late; // per node
    std::vector<i64> load;                 // per request * kDims
    std::vector<i64> max_ride;             // per request (kInf: none)
    std::vector<i64> penalty;              // per request: the cost of leaving it out
    std::vector<std::uint8_t> allowed;     // n_req * n_veh
    std::vector<int> v_start, v_end;       // per vehicle: locations
    std::vector<i64> v_early, v_late, v_max_dur;
    std::vector<i64> v_cap; // n_veh * kDims
    std::vector<i64> v_fixed, v_rate_dist, v_rate_time;

    // general mode (all empty / zero in the fast mode)
    bool general = false;
    // breaks ride their legs: taken before or after the drive to the next stop (the
    // plan's rule); false: before it, where the vehicle served (the live day's timing)
    bool legs = true;
    int n_brk = 0;
    std::vector<int> b_veh;                   // per break: its vehicle
    std::vector<i64> b_early, b_late, b_dur;  // per break: window of its start, duration
    std::vector<int> mode;                    // per request: kPair, kDropOnly, kFixed, kSingle
    std::vector<int> bound;                   // per request: the only vehicle (-1: any)
    std::vector<i64> excess_rate, direct;     // per request: cost per excess second, direct time
    std::vector<i64> onboard_dep;             // per request: pickup departure if on board, else -1
    std::vector<i64> v_rate_dur;              // per vehicle: cost per second of route duration
    std::vector<i64> v_shift_start;           // per vehicle
    std::vector<i64> v_init_load;             // n_veh * kDims: on board at the start
    std::vector<std::uint8_t> v_closed;       // per vehicle: no stops beyond its prefix
    std::vector<std::vector<int>> prefix;     // per vehicle: the locked nodes, in order
    std::vector<std::vector<int>> v_breaks;   // per vehicle: its break nodes (derived)
    std::vector<std::uint8_t> locked_node;    // per request node (derived)

    // derived by finalize()
    std::vector<int> v_class;   // vehicles that are interchangeable share a class
    bool exact_timing = false;  // ride limits or duration caps: candidates need a full check
    i64 max_arc = 1;            // largest arc cost, the scale of insertion noise
    i64 max_dist = 1;           // largest distance, the scale of relatedness

    static constexpr int kPair = 0, kDropOnly = 1, kFixed = 2, kSingle = 3;

    int n_nodes() const { return 2 * n_req; }
    int n_all() const { return 2 * n_req + n_brk; }
    bool is_break(int node) const { return node >= 2 * n_req; }
    int brk(int node) const { return node - 2 * n_req; }
    i64 node_early(int node) const { return is_break(node) ? b_early[brk(node)] : early[node]; }
    i64 node_late(int node) const { return is_break(node) ? b_late[brk(node)] : late[node]; }
    i64 node_service(int node) const { return is_break(node) ? b_dur[brk(node)] : service[node]; }
    bool movable(int node) const { return !is_break(node) && !locked_node[node]; }
    // Only the dropoff node 2r + 1 of request r is routed (on board, locked pickup, visit).
    bool one_stop(int r) const { return general && mode[r] != kPair; }
    // Request r may be served by its bound vehicle only (on board, or pickup locked).
    bool bound_request(int r) const {
        return general && (mode[r] == kDropOnly || mode[r] == kFixed);
    }
    // The first routed node of request r: its pickup, or its only stop.
    int head(int r) const { return one_stop(r) ? 2 * r + 1 : 2 * r; }
    const i64* init_load(int v) const {
        static const i64 zero[kDims] = {0, 0, 0};
        return general ? &v_init_load[static_cast<std::size_t>(v) * kDims] : zero;
    }
    i64 t(int a, int b) const { return time[static_cast<std::size_t>(a) * n_loc + b]; }
    i64 d(int a, int b) const { return dist[static_cast<std::size_t>(a) * n_loc + b]; }
    i64 arc(int v, int a, int b) const {
        return v_rate_dist[v] * d(a, b) + v_rate_time[v] * t(a, b);
    }
    bool can(int r, int v) const { return allowed[static_cast<std::size_t>(r) * n_veh + v] != 0; }
    const i64* req_load(int r) const { return &load[static_cast<std::size_t>(r) * kDims]; }
    const i64* cap(int v) const { return &v_cap[static_cast<std::size_t>(v) * kDims]; }

    void finalize() {
        const std::size_t nn = static_cast<std::size_t>(n_loc) * n_loc;
        if (time.size() != nn || dist.size() != nn) throw std::invalid_argument("matrix shape");
        if (static_cast<int>(loc.size()) != n_nodes()) throw std::invalid_argument("node count");
        for (int node = 0; node < n_nodes(); ++node) {
            if (loc[node] < 0 || loc[node] >= n_loc)
                throw std::invalid_argument("node " + std::to_string(node) + ": bad location");
        }
        for (int v = 0; v < n_veh; ++v) {
            if (v_start[v] < 0 || v_start[v] >= n_loc || v_end[v] < 0 || v_end[v] >= n_loc)
                throw std::invalid_argument("vehicle " + std::to_string(v) + ": bad location");
        }
        if (general) finalize_general();
        if (!general) {
            tighten_windows();
            drop_unreachable_limits();
        }
        exact_timing = false;
        for (int r = 0; r < n_req; ++r) {
            if (max_ride[r] < kInf) exact_timing = true;
        }
        for (int v = 0; v < n_veh; ++v) {
            if (v_max_dur[v] < kInf) exact_timing = true;
        }
        max_arc = 1;
        max_dist = dist.empty() ? 1 : std::max<i64>(1, *std::max_element(dist.begin(), dist.end()));
        if (general) {
            const i64 max_time =
                time.empty() ? 1 : std::max<i64>(1, *std::max_element(time.begin(), time.end()));
            for (int v = 0; v < n_veh; ++v)
                max_arc = std::max(max_arc, v_rate_dist[v] * max_dist + v_rate_dur[v] * max_time);
        }
        for (int v = 0; v < n_veh && !general; ++v) {
            for (std::size_t k = 0; k < nn; ++k) {
                const i64 c = v_rate_dist[v] * dist[k] + v_rate_time[v] * time[k];
                if (c > max_arc) max_arc = c;
            }
            if (v > 0 && v_rate_dist[v] == v_rate_dist[0] && v_rate_time[v] == v_rate_time[0])
                break;  // the same rates give the same arcs
        }
        v_class.assign(n_veh, -1);
        int classes = 0;
        for (int v = 0; v < n_veh; ++v) {
            for (int w = 0; w < v && v_class[v] < 0; ++w) {
                if (same_vehicle(v, w)) v_class[v] = v_class[w];
            }
            if (v_class[v] < 0) v_class[v] = classes++;
        }
    }

  private:
    // The windows a ride limit implies (t_d - t_p - service_p <= L): a dial-a-ride
    // request sets one stop's window and leaves the other the whole day, so without
    // these the cheap tests pass insertions only the exact timing refuses. Exact (no
    // triangle inequality assumed): every feasible schedule keeps them.
    void tighten_windows() {
        for (int r = 0; r < n_req; ++r) {
            if (max_ride[r] >= kInf) continue;
            const int p = 2 * r, d = p + 1;
            const i64 span = service[p] + max_ride[r];
            early[p] = std::max(early[p], early[d] - span);
            late[d] = std::min(late[d], late[p] + span);
        }
    }

    // A ride limit or duration cap that no schedule within the windows can reach is
    // none (Li & Lim's rides carry the horizon as their limit): the search then needs
    // no exact timing, and its cheap tests are exact.
    void drop_unreachable_limits() {
        for (int r = 0; r < n_req; ++r) {
            const int p = 2 * r, d = p + 1;
            if (max_ride[r] < kInf && service[p] + max_ride[r] >= late[d] - early[p])
                max_ride[r] = kInf;
        }
        for (int v = 0; v < n_veh; ++v) {
            if (v_max_dur[v] < kInf && v_max_dur[v] >= v_late[v] - v_early[v]) v_max_dur[v] = kInf;
        }
    }

    void finalize_general() {
        const auto bad = [](const std::string& what) { throw std::invalid_argument(what); };
        if (static_cast<int>(prefix.size()) != n_veh) bad("instance: one prefix per vehicle expected");
        v_breaks.assign(n_veh, {});
        for (int b = 0; b < n_brk; ++b) {
            if (b_veh[b] < 0 || b_veh[b] >= n_veh)
                bad("break " + std::to_string(b) + ": bad vehicle");
            if (b_late[b] < b_early[b] || b_dur[b] < 0)
                bad("break " + std::to_string(b) + ": bad window or duration");
            v_breaks[b_veh[b]].push_back(2 * n_req + b);
        }
        locked_node.assign(n_nodes(), 0);
        for (int v = 0; v < n_veh; ++v) {
            for (int node : prefix[v]) {
                if (node < 0 || node >= n_nodes())
                    bad("prefix of vehicle " + std::to_string(v) + ": node out of range");
                if (locked_node[node]) bad("prefix: node " + std::to_string(node) + " locked twice");
                locked_node[node] = 1;
            }
        }
        for (int r = 0; r < n_req; ++r) {
            const int m = mode[r];
            if (m < kPair || m > kSingle) bad("request " + std::to_string(r) + ": bad mode");
            if ((m == kDropOnly || m == kFixed) && (bound[r] < 0 || bound[r] >= n_veh))
                bad("request " + std::to_string(r) + ": a bound request needs its vehicle");
            if (m == kPair && (locked_node[2 * r] || locked_node[2 * r + 1]))
                bad("request " + std::to_string(r) + ": locked but its mode is pair");
            if (m == kDropOnly && locked_node[2 * r + 1])
                bad("request " + std::to_string(r) + ": dropoff locked but its mode is drop-only");
            if (m == kSingle && (bound[r] != -1 || locked_node[2 * r] || locked_node[2 * r + 1]))
                bad("request " + std::to_string(r) + ": a single stop is neither bound nor locked");
        }
    }

    bool same_vehicle(int a, int b) const {
        if (general) {
            if (!prefix[a].empty() || !prefix[b].empty() || v_closed[a] || v_closed[b] ||
                v_rate_dur[a] != v_rate_dur[b] || v_shift_start[a] != v_shift_start[b] ||
                v_breaks[a].size() != v_breaks[b].size())
                return false;
            for (int k = 0; k < kDims; ++k) {
                if (init_load(a)[k] != 0 || init_load(b)[k] != 0) return false;
            }
            for (std::size_t k = 0; k < v_breaks[a].size(); ++k) {
                const int x = brk(v_breaks[a][k]), y = brk(v_breaks[b][k]);
                if (b_early[x] != b_early[y] || b_late[x] != b_late[y] || b_dur[x] != b_dur[y])
                    return false;
            }
        }
        if (v_start[a] != v_start[b] || v_end[a] != v_end[b] || v_early[a] != v_early[b] ||
            v_late[a] != v_late[b] || v_max_dur[a] != v_max_dur[b] || v_fixed[a] != v_fixed[b] ||
            v_rate_dist[a] != v_rate_dist[b] || v_rate_time[a] != v_rate_time[b])
            return false;
        for (int k = 0; k < kDims; ++k) {
            if (cap(a)[k] != cap(b)[k]) return false;
        }
        for (int r = 0; r < n_req; ++r) {
            if (can(r, a) != can(r, b)) return false;
        }
        return true;
    }
};

}  // namespace noriai
