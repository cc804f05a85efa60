// Parallel searches (Params::threads > 1): one Search per thread, each with its own
// seed (the first with the given one, the others derived from it), sharing their best
// plans through a SharedBest (route minimisation: as soon as one has fewer vehicles;
// the LNS: when a search has stalled). The best plan of all comes back.
//
// One thread runs the search alone, exactly as without this file. With more, the
// result depends on how the threads interleave: it is not reproducible bit for bit,
// even for a seed and a deterministic budget.
#pragma once

#include <exception>
#include <memory>
#include <thread>
#include <vector>

#include "instance.hpp"
#include "search.hpp"
#include "shared.hpp"
#include "solution.hpp"

namespace noriai {

// The seed of thread k: the given one for the first, spread apart for the others.
inline unsigned thread_seed(unsigned seed, int k) {
    return seed + static_cast<unsigned>(k) * 0x9E3779B9u;
}

class Portfolio {
  public:
    Portfolio(const Instance& in, const Params& params) : in_(in), params_(params) {}

    // The best plan of `params.threads` searches from `initial` (none: construct).
    Solution run(const Solution* initial) {
        const int n = std::max(1, params_.threads);
        if (n == 1) {
            Search search(in_, params_);
            Solution best = search.run(initial);
            stats_ = search.stats();
            pool_ = search.pool().routes();
            return best;
        }
        SharedBest shared;
        std::vector<std::unique_ptr<Search>> searches;
        for (int k = 0; k < n; ++k) {
            Params p = params_;
            p.seed = thread_seed(params_.seed, k);
            searches.push_back(std::make_unique<Search>(in_, p, &shared));
        }
        std::vector<Solution> found(n);
        std::vector<std::exception_ptr> errors(n);
        std::vector<std::thread> threads;
        threads.reserve(n);
        for (int k = 0; k < n; ++k) {
            threads.emplace_back([&, k] {
                try {
                    found[k] = searches[k]->run(initial);
                } catch (...) {
                    errors[k] = std::current_exception();
                }
            });
        }
        for (std::thread& t : threads) t.join();
        for (const std::exception_ptr& e : errors) {
            if (e) std::rethrow_exception(e);
        }
        // the best plan (the lowest thread on ties); counts summed over the threads,
        // the rest as the winner saw it
        int win = 0;
        for (int k = 1; k < n; ++k) {
            if (found[k].objective(in_) < found[win].objective(in_)) win = k;
        }
        stats_ = searches[win]->stats();
        stats_.ges_iterations = stats_.lns_iterations = stats_.lns_improvements = 0;
        stats_.adoptions = stats_.insertion_searches = stats_.eject_searches = 0;
        for (const auto& s : searches) {
            stats_.ges_iterations += s->stats().ges_iterations;
            stats_.lns_iterations += s->stats().lns_iterations;
            stats_.lns_improvements += s->stats().lns_improvements;
            stats_.adoptions += s->stats().adoptions;
            stats_.insertion_searches += s->stats().insertion_searches;
            stats_.eject_searches += s->stats().eject_searches;
        }
        winner_ = win;
        pool_.clear();
        for (const auto& s : searches)
            pool_.insert(pool_.end(), s->pool().routes().begin(), s->pool().routes().end());
        return std::move(found[win]);
    }

    const Stats& stats() const { return stats_; }
    int threads() const { return std::max(1, params_.threads); }
    int winner() const { return winner_; }  // the thread whose plan came back
    // every search's route pool (Params::pool), one after the other
    const std::vector<PoolRoute>& pool() const { return pool_; }

  private:
    const Instance& in_;
    Params params_;
    Stats stats_;
    int winner_ = 0;
    std::vector<PoolRoute> pool_;
};

}  // namespace noriai
