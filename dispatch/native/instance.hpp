// The instance as the native search sees it: flat integer arrays, nothing else.
//
// Nodes are the requests' stops: node 2r is the pickup of request r, node 2r+1 its
// dropoff. Locations index the travel-time and distance matrices. Times are the
// start of service; a route departs its start location no earlier than `v_early`,
// arrives at its end location no later than `v_late`, and may last `v_max_dur`.
// Costs are integers (the caller's unit): per vehicle, a fixed cost if used plus
// `v_rate_dist` per distance unit and `v_rate_time` per travel-time unit.
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

    // derived by finalize()
    std::vector<int> v_class;   // vehicles that are interchangeable share a class
    bool exact_timing = false;  // ride limits or duration caps: candidates need a full check
    i64 max_arc = 1;            // largest arc cost, the scale of insertion noise
    i64 max_dist = 1;           // largest distance, the scale of relatedness

    int n_nodes() const { return 2 * n_req; }
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
        exact_timing = false;
        for (int r = 0; r < n_req; ++r) {
            if (max_ride[r] < kInf) exact_timing = true;
        }
        for (int v = 0; v < n_veh; ++v) {
            if (v_max_dur[v] < kInf) exact_timing = true;
        }
        max_arc = 1;
        max_dist = dist.empty() ? 1 : std::max<i64>(1, *std::max_element(dist.begin(), dist.end()));
        for (int v = 0; v < n_veh; ++v) {
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
    bool same_vehicle(int a, int b) const {
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
