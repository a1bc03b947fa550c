// The CPU's copies: strided copy with dtype conversion (any strides, broadcast sources) and fill.
#include <cstring>
#include <type_traits>

#include "backend/cpu/Loops.h"
#include "ops/Internal.h"  // detail::broadcast_view

namespace neura::cpu {
namespace {

void copy_cpu(const Tensor& dst, const Tensor& src) {
    if (dst.numel() == 0) return;
    visit_dtype(dst.dtype(), [&](auto dtag) {
        using D = decltype(dtag);
        visit_dtype(src.dtype(), [&](auto stag) {
            using S = decltype(stag);
            D* pd = static_cast<D*>(dst.raw_data());
            const S* ps = static_cast<const S*>(src.raw_data());
            if constexpr (std::is_same_v<D, S>) {
                if (dst.is_contiguous() && src.is_contiguous()) {
                    std::memcpy(pd, ps, static_cast<std::size_t>(dst.numel()) * sizeof(D));
                    return;
                }
            }
            cpu::for_each_row<2>(dst.shape(), {&dst.strides(), &src.strides()}, [&](auto off, auto st, std::int64_t n) {
                D* o = pd + off[0];
                const S* a = ps + off[1];
                if (st[0] == 1 && st[1] == 1) {
                    for (std::int64_t i = 0; i < n; ++i) o[i] = static_cast<D>(a[i]);
                } else if (st[0] == 1 && st[1] == 0) {
                    const D v = static_cast<D>(*a);
                    for (std::int64_t i = 0; i < n; ++i) o[i] = v;
                } else {
                    for (std::int64_t i = 0; i < n; ++i) o[i * st[0]] = static_cast<D>(a[i * st[1]]);
                }
            });
        });
    });
}

void fill_cpu(const Tensor& dst, double value) {
    Tensor s = Tensor::empty({}, dst.dtype());
    visit_dtype(dst.dtype(), [&](auto tag) { *s.data<decltype(tag)>() = static_cast<decltype(tag)>(value); });
    copy_cpu(dst, detail::broadcast_view(s, dst.shape()));
}

}  // namespace

void copy(const Tensor& dst, const Tensor& src) { copy_cpu(dst, src); }
void fill(const Tensor& dst, double value) { fill_cpu(dst, value); }

}  // namespace neura::cpu
