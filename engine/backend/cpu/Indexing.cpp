// The CPU's indexing kernels: index_select / index_add and gather / scatter_add (contiguous operands).
#include <cstring>

#include "ops/KernelSignatures.h"

namespace neura::cpu {
namespace {

// ---- kernels (contiguous operands) ----

void index_select_cpu(const Tensor& x, int dim, const Tensor& index, const Tensor& out) {
    const DimSplit s = split_at_dim(x.shape(), dim);
    const std::int64_t n = index.numel();
    const std::int64_t* idx = index.data<std::int64_t>();
    const std::size_t row = static_cast<std::size_t>(s.inner) * element_size(x.dtype());
    const char* src = static_cast<const char*>(x.raw_data());
    char* dst = static_cast<char*>(out.raw_data());
    for (std::int64_t o = 0; o < s.outer; ++o)
        for (std::int64_t i = 0; i < n; ++i)
            std::memcpy(dst + (o * n + i) * row, src + (o * s.size + idx[i]) * row, row);
}

void index_add_cpu(const Tensor& out, int dim, const Tensor& index, const Tensor& src) {
    const DimSplit s = split_at_dim(out.shape(), dim);
    const std::int64_t n = index.numel();
    const std::int64_t* idx = index.data<std::int64_t>();
    visit_dtype(out.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* po = out.data<T>();
        const T* ps = src.data<T>();
        for (std::int64_t o = 0; o < s.outer; ++o)
            for (std::int64_t i = 0; i < n; ++i) {
                T* dst = po + (o * s.size + idx[i]) * s.inner;
                const T* from = ps + (o * n + i) * s.inner;
                for (std::int64_t j = 0; j < s.inner; ++j) dst[j] += from[j];
            }
    });
}

// Visits every element of `index` (contiguous) with its flat position and the offset into a contiguous
// tensor of shape `target` where dim `dim` is replaced by the index value.
template <class Body>
void for_each_indexed(const Shape& index_shape, const Shape& target, int dim, const std::int64_t* idx, Body&& body) {
    const Shape tstrides = contiguous_strides(target);
    const std::int64_t n = shape_numel(index_shape);
    Shape pos(index_shape.size(), 0);
    for (std::int64_t flat = 0; flat < n; ++flat) {
        std::int64_t off = 0;
        for (std::size_t d = 0; d < pos.size(); ++d)
            off += (static_cast<int>(d) == dim ? idx[flat] : pos[d]) * tstrides[d];
        body(flat, off);
        for (std::size_t d = pos.size(); d-- > 0;) {
            if (++pos[d] < index_shape[d]) break;
            pos[d] = 0;
        }
    }
}

void gather_cpu(const Tensor& x, int dim, const Tensor& index, const Tensor& out) {
    visit_dtype(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* px = x.data<T>();
        T* po = out.data<T>();
        for_each_indexed(index.shape(), x.shape(), dim, index.data<std::int64_t>(),
                         [&](std::int64_t flat, std::int64_t off) { po[flat] = px[off]; });
    });
}

void scatter_add_cpu(const Tensor& out, int dim, const Tensor& index, const Tensor& src) {
    visit_dtype(out.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* po = out.data<T>();
        const T* ps = src.data<T>();
        for_each_indexed(index.shape(), out.shape(), dim, index.data<std::int64_t>(),
                         [&](std::int64_t flat, std::int64_t off) { po[off] += ps[flat]; });
    });
}

}  // namespace

void index_select(const IndexSelectArgs& a) { index_select_cpu(a.x, a.dim, a.index, a.out); }
void index_add(const IndexAddArgs& a) { index_add_cpu(a.out, a.dim, a.index, a.src); }
void gather(const GatherArgs& a) { gather_cpu(a.x, a.dim, a.index, a.out); }
void scatter_add(const ScatterAddArgs& a) { scatter_add_cpu(a.out, a.dim, a.index, a.src); }

}  // namespace neura::cpu
