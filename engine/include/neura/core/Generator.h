#pragma once
#include <cstdint>
#include <random>

namespace neura {

// A seeded random source. Every random op takes one; without it the default generator is used,
// whose seed manual_seed() sets (so a run with the same seed repeats exactly).
class Generator {
public:
    explicit Generator(std::uint64_t seed = 5489u) : engine_(seed), seed_(seed) {}
    void seed(std::uint64_t s) { engine_.seed(s); seed_ = s; }
    std::uint64_t initial_seed() const { return seed_; }
    std::mt19937_64& engine() { return engine_; }
    double uniform();  // [0, 1)
    double normal();   // mean 0, std 1
    std::int64_t randint(std::int64_t low, std::int64_t high);  // [low, high)

private:
    std::mt19937_64 engine_;
    std::uint64_t seed_;
};

Generator& default_generator();
void manual_seed(std::uint64_t seed);

}  // namespace neura
