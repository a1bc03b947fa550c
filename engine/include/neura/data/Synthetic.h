#pragma once
// Synthetic toy datasets, defined as sklearn.datasets.make_* (and CS231n's spiral). Every set is
// deterministic for a seed (the draws do not depend on the standard library), class sizes differ by
// at most one (as sklearn splits n_samples), and the samples are shuffled (as sklearn's shuffle=True),
// so a plain prefix is not one class.
#include <cstdint>
#include <memory>

#include "neura/data/Dataset.h"

namespace neura::data {

// k arms of an Archimedean spiral, class = arm (CS231n): for arm j with m points, r = linspace(0, 1, m),
// t = linspace(4j, 4(j+1), m) + noise·N(0,1), x = (r sin t, r cos t). Features [n, 2].
std::shared_ptr<TensorDataset> spiral(std::int64_t n_samples = 300, double noise = 0.2, std::uint64_t seed = 0,
                                      std::int64_t classes = 3);

// Two interleaving half circles (sklearn make_moons): outer (cos θ, sin θ), inner (1 - cos θ, 0.5 - sin θ),
// θ = linspace(0, π); Gaussian noise of std `noise` on both coordinates. Class 0 outer, 1 inner.
std::shared_ptr<TensorDataset> moons(std::int64_t n_samples = 200, double noise = 0.1, std::uint64_t seed = 0);

// Two concentric circles (sklearn make_circles): θ = linspace(0, 2π) without the end point, outer radius 1
// (class 0), inner radius `factor` (class 1), Gaussian noise of std `noise`. factor in [0, 1).
std::shared_ptr<TensorDataset> circles(std::int64_t n_samples = 200, double noise = 0.05, std::uint64_t seed = 0,
                                       double factor = 0.5);

// XOR of the signs: points uniform in the four quadrants of [-1, 1]² (n_samples/4 each), class 0 where
// x·y > 0 (quadrants I and III), class 1 otherwise; Gaussian noise of std `noise` added after labelling.
std::shared_ptr<TensorDataset> xor_quadrants(std::int64_t n_samples = 200, double noise = 0.1, std::uint64_t seed = 0);

// Isotropic Gaussian blobs (sklearn make_blobs): `centers` centres drawn uniformly in box², each sample
// centre + cluster_std·N(0, I). Class = centre. Features [n, n_features].
std::shared_ptr<TensorDataset> blobs(std::int64_t n_samples = 300, double cluster_std = 1.0, std::uint64_t seed = 0,
                                     std::int64_t centers = 3, std::int64_t n_features = 2, double box = 10.0);

// Regression: x uniform in [-π, π], y = sin x + noise·N(0,1). Features [n, 1], targets F32 [n, 1].
std::shared_ptr<TensorDataset> sine(std::int64_t n_samples = 200, double noise = 0.1, std::uint64_t seed = 0);

}  // namespace neura::data
