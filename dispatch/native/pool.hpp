// The distinct routes an LNS met in the plans it accepted, for a set-partitioning
// recombination (`dispatch.recombine`): the best plan of the day is often made of
// routes the search found in different plans and never held at once.
#pragma once

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "instance.hpp"
#include "solution.hpp"

namespace noriai {

struct PoolRoute {
    int v = 0;       // the vehicle it was met on (any of its class may drive it)
    i64 cost = 0;    // arc costs, without the fixed cost
    std::vector<int> seq;
};

class RoutePool {
  public:
    explicit RoutePool(std::size_t capacity = 0) : capacity_(capacity) {}

    bool full() const { return routes_.size() >= capacity_; }
    const std::vector<PoolRoute>& routes() const { return routes_; }

    // The used routes of `s` not met before (fast mode: every route is feasible);
    // `always`: even when full (the best plan's, so that the recombination has them).
    void add(const Instance& in, const Solution& s, bool always = false) {
        for (const Route& r : s.routes) {
            if (full() && !always) return;
            if (r.empty()) continue;
            if (!seen_.insert(key(in, r)).second) continue;
            routes_.push_back({r.v, r.cost, r.seq});
        }
    }

  private:
    static std::uint64_t key(const Instance& in, const Route& r) {
        std::uint64_t h = 1469598103934665603ull ^ static_cast<std::uint64_t>(in.v_class[r.v]);
        for (int node : r.seq) {
            h ^= static_cast<std::uint64_t>(node) + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
            h *= 1099511628211ull;
        }
        return h;
    }

    std::size_t capacity_;
    std::vector<PoolRoute> routes_;
    std::unordered_set<std::uint64_t> seen_;
};

}  // namespace noriai
