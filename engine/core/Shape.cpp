#include "neura/core/Shape.h"

#include <algorithm>

#include "neura/core/Error.h"

namespace neura {

std::string shape_str(const Shape& s) {
    std::string out = "[";
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i) out += ", ";
        out += std::to_string(s[i]);
    }
    return out + "]";
}

std::int64_t shape_numel(const Shape& s) {
    // A shape can come from a file: a product past 2^63 is an error, never a wrapped count.
    std::int64_t n = 1;
    for (auto d : s)
        NEURA_CHECK(!__builtin_mul_overflow(n, d, &n), "the shape ", shape_str(s),
                    " has more elements than a 64-bit count holds");
    return n;
}

DimSplit split_at_dim(const Shape& s, int d) {
    DimSplit r;
    for (int i = 0; i < static_cast<int>(s.size()); ++i) {
        if (i < d) r.outer *= s[i];
        else if (i == d) r.size = s[i];
        else r.inner *= s[i];
    }
    return r;
}

Shape contiguous_strides(const Shape& s) {
    // A shape with a zero size holds no element whatever its other sizes, but its strides must still
    // fit (fuzzing found [0, 2^40, 2^40] from a file): an error, never a wrapped stride.
    Shape st(s.size());
    std::int64_t acc = 1;
    for (std::size_t i = s.size(); i-- > 0;) {
        st[i] = acc;
        if (i > 0)
            NEURA_CHECK(!__builtin_mul_overflow(acc, std::max<std::int64_t>(s[i], 1), &acc), "the shape ", shape_str(s),
                        " has strides past 2^63");
    }
    return st;
}

int wrap_dim(std::int64_t dim, std::int64_t rank, const char* op) {
    const std::int64_t r = std::max<std::int64_t>(rank, 1);  // a 0-d tensor accepts dim 0 and -1
    NEURA_CHECK_SHAPE(dim >= -r && dim < r, op, ": dimension ", dim, " is out of range for a tensor of ", rank,
                " dimension", rank == 1 ? "" : "s", " (expected ", -r, " to ", r - 1, ")");
    return static_cast<int>(dim < 0 ? dim + r : dim);
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
    const std::size_t n = std::max(a.size(), b.size());
    Shape out(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
        const std::int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
        NEURA_CHECK_SHAPE(da == db || da == 1 || db == 1, op, ": shapes ", shape_str(a), " and ", shape_str(b),
                    " cannot be broadcast together (dimension ", i, ": ", da, " vs ", db, ")");
        out[i] = da == 1 ? db : da;
    }
    return out;
}

}  // namespace neura
