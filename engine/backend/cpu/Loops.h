#pragma once
// Strided loops for CPU kernels: N operands sharing one shape (broadcast inputs carry stride 0).
// Dims are coalesced where every operand allows it, the innermost dim runs as a tight loop, and rows
// are split across OpenMP threads when the work is large enough to pay for it.
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "neura/core/Tensor.h"

namespace neura::cpu {

constexpr std::int64_t kParallelGrain = 65536;  // elements below which threads cost more than they give

template <std::size_t N>
struct Geometry {
    std::vector<std::int64_t> sizes;                      // coalesced, innermost last
    std::array<std::vector<std::int64_t>, N> strides;     // in elements
};

template <std::size_t N>
Geometry<N> coalesce(const Shape& shape, const std::array<const Shape*, N>& strides) {
    Geometry<N> g;
    for (std::size_t d = 0; d < shape.size(); ++d) {
        if (shape[d] == 1) continue;
        const bool can_merge = !g.sizes.empty() && [&] {
            for (std::size_t k = 0; k < N; ++k)
                if (g.strides[k].back() != (*strides[k])[d] * shape[d]) return false;
            return true;
        }();
        if (can_merge) {
            g.sizes.back() *= shape[d];
            for (std::size_t k = 0; k < N; ++k) g.strides[k].back() = (*strides[k])[d];
        } else {
            g.sizes.push_back(shape[d]);
            for (std::size_t k = 0; k < N; ++k) g.strides[k].push_back((*strides[k])[d]);
        }
    }
    if (g.sizes.empty()) {  // a single element
        g.sizes.push_back(1);
        for (std::size_t k = 0; k < N; ++k) g.strides[k].push_back(0);
    }
    return g;
}

// Calls row(offsets, inner_strides, n) for every innermost row; offsets are element offsets per operand.
template <std::size_t N, class Row>
void for_each_row(const Shape& shape, const std::array<const Shape*, N>& strides, Row&& row) {
    const Geometry<N> g = coalesce<N>(shape, strides);
    const std::size_t nd = g.sizes.size();
    const std::int64_t inner = g.sizes.back();
    std::array<std::int64_t, N> inner_strides;
    for (std::size_t k = 0; k < N; ++k) inner_strides[k] = g.strides[k].back();
    std::int64_t rows = 1;
    for (std::size_t d = 0; d + 1 < nd; ++d) rows *= g.sizes[d];

    auto offsets_of = [&](std::int64_t r) {
        std::array<std::int64_t, N> off{};
        for (std::size_t d = nd - 1; d-- > 0;) {
            const std::int64_t i = r % g.sizes[d];
            r /= g.sizes[d];
            for (std::size_t k = 0; k < N; ++k) off[k] += i * g.strides[k][d];
        }
        return off;
    };
    if (rows * inner >= kParallelGrain && rows > 1) {
#pragma omp parallel for schedule(static)
        for (std::int64_t r = 0; r < rows; ++r) row(offsets_of(r), inner_strides, inner);
    } else if (inner >= kParallelGrain) {
        // One long row (contiguous operands coalesce into one): split it into pieces for the threads.
        constexpr std::int64_t piece = kParallelGrain / 2;
        const std::int64_t pieces = (inner + piece - 1) / piece;
#pragma omp parallel for schedule(static)
        for (std::int64_t p = 0; p < pieces; ++p) {
            std::array<std::int64_t, N> off{};
            for (std::size_t k = 0; k < N; ++k) off[k] = p * piece * inner_strides[k];
            row(off, inner_strides, std::min(piece, inner - p * piece));
        }
    } else {
        for (std::int64_t r = 0; r < rows; ++r) row(offsets_of(r), inner_strides, inner);
    }
}

// Splits [0, n) across threads when n is large.
template <class Body>
void parallel_for(std::int64_t n, std::int64_t grain, Body&& body) {
    if (n >= grain * 2) {
#pragma omp parallel for schedule(static)
        for (std::int64_t i = 0; i < n; ++i) body(i);
    } else {
        for (std::int64_t i = 0; i < n; ++i) body(i);
    }
}

}  // namespace neura::cpu
