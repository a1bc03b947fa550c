#include "neura/data/Synthetic.h"

#include <cmath>
#include <cstring>
#include <numbers>
#include <vector>

#include "data/Random.h"

namespace neura::data {

namespace {

constexpr double kPi = std::numbers::pi;

// Row-major samples being generated: `dim` features each, plus a class label or regression target.
struct Samples {
    std::int64_t dim = 2;
    std::vector<double> x;
    std::vector<std::int64_t> y;
    std::vector<double> target;

    void add(std::initializer_list<double> features, std::int64_t label) {
        x.insert(x.end(), features);
        y.push_back(label);
    }
    std::int64_t size() const { return dim == 0 ? 0 : static_cast<std::int64_t>(x.size()) / dim; }
};

// Shuffles the rows (sklearn's shuffle=True) and builds the dataset.
std::shared_ptr<TensorDataset> finish(Samples& s, internal::Rng& rng, std::int64_t num_classes) {
    const std::int64_t n = s.size();
    std::vector<std::int64_t> perm = internal::iota_indices(n);
    rng.shuffle(perm);
    Tensor features = Tensor::empty({n, s.dim}, DType::F32);
    float* f = features.data<float>();
    for (std::int64_t r = 0; r < n; ++r)
        for (std::int64_t j = 0; j < s.dim; ++j)
            f[r * s.dim + j] = static_cast<float>(s.x[static_cast<std::size_t>(perm[static_cast<std::size_t>(r)] * s.dim + j)]);
    Tensor targets;
    if (num_classes > 0) {
        targets = Tensor::empty({n}, DType::I64);
        auto* t = targets.data<std::int64_t>();
        for (std::int64_t r = 0; r < n; ++r) t[r] = s.y[static_cast<std::size_t>(perm[static_cast<std::size_t>(r)])];
    } else {
        targets = Tensor::empty({n, 1}, DType::F32);
        float* t = targets.data<float>();
        for (std::int64_t r = 0; r < n; ++r)
            t[r] = static_cast<float>(s.target[static_cast<std::size_t>(perm[static_cast<std::size_t>(r)])]);
    }
    return std::make_shared<TensorDataset>(features, targets, num_classes > 0 ? num_classes : -1);
}

// numpy.linspace(start, stop, num, endpoint)[i]
double linspace_at(double start, double stop, std::int64_t num, std::int64_t i, bool endpoint = true) {
    const std::int64_t div = endpoint ? num - 1 : num;
    if (div <= 0) return start;
    return start + (stop - start) * static_cast<double>(i) / static_cast<double>(div);
}

void check_common(const char* name, std::int64_t n_samples, double noise) {
    NEURA_CHECK(n_samples >= 1, name, ": n_samples must be at least 1, got ", n_samples);
    NEURA_CHECK(std::isfinite(noise) && noise >= 0.0, name, ": noise must be >= 0, got ", noise);
}

}  // namespace

std::shared_ptr<TensorDataset> spiral(std::int64_t n_samples, double noise, std::uint64_t seed, std::int64_t classes) {
    check_common("spiral", n_samples, noise);
    NEURA_CHECK(classes >= 2, "spiral: classes must be at least 2, got ", classes);
    internal::Rng rng(seed);
    Samples s;
    for (std::int64_t j = 0; j < classes; ++j) {
        const std::int64_t m = n_samples / classes + (j < n_samples % classes ? 1 : 0);
        for (std::int64_t i = 0; i < m; ++i) {
            const double r = linspace_at(0.0, 1.0, m, i);
            const double t = linspace_at(4.0 * static_cast<double>(j), 4.0 * static_cast<double>(j + 1), m, i) +
                             noise * rng.normal();
            s.add({r * std::sin(t), r * std::cos(t)}, j);
        }
    }
    return finish(s, rng, classes);
}

std::shared_ptr<TensorDataset> moons(std::int64_t n_samples, double noise, std::uint64_t seed) {
    check_common("moons", n_samples, noise);
    internal::Rng rng(seed);
    const std::int64_t n_out = n_samples / 2;
    const std::int64_t n_in = n_samples - n_out;
    Samples s;
    for (std::int64_t i = 0; i < n_out; ++i) {
        const double a = linspace_at(0.0, kPi, n_out, i);
        s.add({std::cos(a), std::sin(a)}, 0);
    }
    for (std::int64_t i = 0; i < n_in; ++i) {
        const double a = linspace_at(0.0, kPi, n_in, i);
        s.add({1.0 - std::cos(a), 1.0 - std::sin(a) - 0.5}, 1);
    }
    for (double& v : s.x) v += noise * rng.normal();
    return finish(s, rng, 2);
}

std::shared_ptr<TensorDataset> circles(std::int64_t n_samples, double noise, std::uint64_t seed, double factor) {
    check_common("circles", n_samples, noise);
    NEURA_CHECK(factor >= 0.0 && factor < 1.0, "circles: factor must be in [0, 1), got ", factor);
    internal::Rng rng(seed);
    const std::int64_t n_out = n_samples / 2;
    const std::int64_t n_in = n_samples - n_out;
    Samples s;
    for (std::int64_t i = 0; i < n_out; ++i) {
        const double a = linspace_at(0.0, 2.0 * kPi, n_out, i, false);
        s.add({std::cos(a), std::sin(a)}, 0);
    }
    for (std::int64_t i = 0; i < n_in; ++i) {
        const double a = linspace_at(0.0, 2.0 * kPi, n_in, i, false);
        s.add({factor * std::cos(a), factor * std::sin(a)}, 1);
    }
    for (double& v : s.x) v += noise * rng.normal();
    return finish(s, rng, 2);
}

std::shared_ptr<TensorDataset> xor_quadrants(std::int64_t n_samples, double noise, std::uint64_t seed) {
    check_common("xor", n_samples, noise);
    internal::Rng rng(seed);
    Samples s;
    // Quadrant q = i % 4 in the order I, II, III, IV: signs (+,+), (-,+), (-,-), (+,-).
    static constexpr double kSx[4] = {1.0, -1.0, -1.0, 1.0};
    static constexpr double kSy[4] = {1.0, 1.0, -1.0, -1.0};
    for (std::int64_t i = 0; i < n_samples; ++i) {
        const auto q = static_cast<std::size_t>(i % 4);
        const double x = kSx[q] * rng.uniform();
        const double y = kSy[q] * rng.uniform();
        s.add({x, y}, kSx[q] * kSy[q] > 0.0 ? 0 : 1);
    }
    for (double& v : s.x) v += noise * rng.normal();
    return finish(s, rng, 2);
}

std::shared_ptr<TensorDataset> blobs(std::int64_t n_samples, double cluster_std, std::uint64_t seed,
                                     std::int64_t centers, std::int64_t n_features, double box) {
    NEURA_CHECK(n_samples >= 1, "blobs: n_samples must be at least 1, got ", n_samples);
    NEURA_CHECK(std::isfinite(cluster_std) && cluster_std >= 0.0, "blobs: cluster_std must be >= 0, got ", cluster_std);
    NEURA_CHECK(centers >= 1, "blobs: centers must be at least 1, got ", centers);
    NEURA_CHECK(n_features >= 1, "blobs: n_features must be at least 1, got ", n_features);
    NEURA_CHECK(std::isfinite(box) && box > 0.0, "blobs: box must be > 0, got ", box);
    internal::Rng rng(seed);
    std::vector<double> c(static_cast<std::size_t>(centers * n_features));
    for (double& v : c) v = rng.uniform(-box, box);
    Samples s;
    s.dim = n_features;
    for (std::int64_t k = 0; k < centers; ++k) {
        const std::int64_t m = n_samples / centers + (k < n_samples % centers ? 1 : 0);
        for (std::int64_t i = 0; i < m; ++i) {
            for (std::int64_t j = 0; j < n_features; ++j)
                s.x.push_back(c[static_cast<std::size_t>(k * n_features + j)] + cluster_std * rng.normal());
            s.y.push_back(k);
        }
    }
    return finish(s, rng, centers);
}

std::shared_ptr<TensorDataset> sine(std::int64_t n_samples, double noise, std::uint64_t seed) {
    check_common("sine", n_samples, noise);
    internal::Rng rng(seed);
    Samples s;
    s.dim = 1;
    for (std::int64_t i = 0; i < n_samples; ++i) {
        const double x = rng.uniform(-kPi, kPi);
        s.x.push_back(x);
        s.target.push_back(std::sin(x) + noise * rng.normal());
    }
    return finish(s, rng, 0);
}

}  // namespace neura::data
