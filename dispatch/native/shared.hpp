// The best plans that parallel searches share (Params::threads > 1, see portfolio.hpp).
//
// Two slots, each behind its own mutex, with its key readable without the lock:
// route minimisation's (complete plans, fewest vehicles, then the objective) and the
// large neighbourhood search's (the objective). A search offers its best to a slot as
// it goes and takes the slot's plan in place of its own when that is better (route
// minimisation: as soon as another search has got further; the LNS: after its own best
// has not improved for a while, see Search::lns).
#pragma once

#include <atomic>
#include <climits>
#include <mutex>
#include <utility>

#include "instance.hpp"
#include "solution.hpp"

namespace noriai {

class SharedBest {
  public:
    // ---- route minimisation: complete plans, by (vehicles, objective) -----------------
    // Vehicles of the best complete plan offered so far (INT_MAX: none yet).
    int ges_vehicles() const { return ges_vehicles_.load(std::memory_order_acquire); }

    // Keeps `s` when it is complete and beats the slot; true when kept.
    bool offer_ges(const Solution& s, i64 f) {
        if (s.unassigned() != 0) return false;
        const std::pair<int, i64> key{s.used_vehicles(), f};
        if (key.first > ges_vehicles()) return false;
        std::lock_guard<std::mutex> lock(ges_mutex_);
        if (key >= ges_key_) return false;
        ges_best_ = s;
        ges_key_ = key;
        ges_vehicles_.store(key.first, std::memory_order_release);
        return true;
    }

    // The slot's plan into `out` when it has fewer vehicles than `vehicles`; true when
    // copied.
    bool take_ges(Solution& out, int vehicles) const {
        if (ges_vehicles() >= vehicles) return false;
        std::lock_guard<std::mutex> lock(ges_mutex_);
        if (ges_key_.first >= vehicles) return false;
        out = ges_best_;
        return true;
    }

    // ---- large neighbourhood search: by the objective ----------------------------------
    i64 objective() const { return f_.load(std::memory_order_acquire); }

    // Keeps `s` (objective f) when it beats the slot; true when kept.
    bool offer(const Solution& s, i64 f) {
        if (f >= objective()) return false;
        std::lock_guard<std::mutex> lock(mutex_);
        if (f >= f_.load(std::memory_order_relaxed)) return false;
        best_ = s;
        f_.store(f, std::memory_order_release);
        return true;
    }

    // The slot's plan into `out` when its objective is below `f`; true when copied.
    bool take(Solution& out, i64 f) const {
        if (objective() >= f) return false;
        std::lock_guard<std::mutex> lock(mutex_);
        if (f_.load(std::memory_order_relaxed) >= f) return false;
        out = best_;
        return true;
    }

  private:
    mutable std::mutex ges_mutex_, mutex_;
    Solution ges_best_, best_;
    std::pair<int, i64> ges_key_{INT_MAX, kInf};
    std::atomic<int> ges_vehicles_{INT_MAX};
    std::atomic<i64> f_{kInf};
};

}  // namespace noriai
