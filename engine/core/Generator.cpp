#include "neura/core/Generator.h"

#include <cmath>

namespace neura {

double Generator::uniform() {
    // 53 random bits → [0, 1), the same on every platform (std::uniform_real_distribution is not).
    return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
}

double Generator::normal() {
    // Box–Muller; u1 in (0, 1] so log is finite.
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

std::int64_t Generator::randint(std::int64_t low, std::int64_t high) {
    const auto range = static_cast<std::uint64_t>(high - low);
    if (range == 0) return low;
    // Rejection sampling: unbiased and platform independent.
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    std::uint64_t r;
    do r = engine_(); while (r >= limit);
    return low + static_cast<std::int64_t>(r % range);
}

Generator& default_generator() {
    static Generator g;
    return g;
}

void manual_seed(std::uint64_t seed) { default_generator().seed(seed); }

}  // namespace neura
