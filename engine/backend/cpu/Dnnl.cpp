#include "backend/cpu/Dnnl.h"

#include <algorithm>

namespace neura::cpu {

dnnl::engine& dnnl_engine() {
    static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
    return eng;
}

dnnl::stream& dnnl_stream() {
    thread_local dnnl::stream s(dnnl_engine());
    return s;
}

dnnl::memory::desc plain_desc(const Shape& dims) {
    const dnnl::memory::dims d(dims.begin(), dims.end());
    const Shape st = contiguous_strides(dims);
    return dnnl::memory::desc(d, dnnl::memory::data_type::f32, dnnl::memory::dims(st.begin(), st.end()));
}

dnnl::memory as_memory(const Tensor& t, const dnnl::memory::desc& md) {
    NEURA_CHECK(t.defined() && t.dtype() == DType::F32 && t.is_contiguous(), "internal: oneDNN memory needs a contiguous float32 ",
                "tensor, got ", t.defined() ? dtype_name(t.dtype()) : "an undefined one", " ",
                t.defined() ? shape_str(t.shape()) : "");
    return dnnl::memory(md, dnnl_engine(), t.raw_data());
}

dnnl::memory::desc any_desc(const Shape& dims) {
    return dnnl::memory::desc(dnnl::memory::dims(dims.begin(), dims.end()), dnnl::memory::data_type::f32,
                              dnnl::memory::format_tag::any);
}

dnnl::memory LayoutBlocks::memory(const dnnl::memory::desc& md) {
    const auto floats = static_cast<std::int64_t>((md.get_size() + sizeof(float) - 1) / sizeof(float));
    held_.push_back(Tensor::empty({std::max<std::int64_t>(floats, 1)}));
    return dnnl::memory(md, dnnl_engine(), held_.back().raw_data());
}

dnnl::memory LayoutBlocks::to_layout(const dnnl::memory& plain, const dnnl::memory::desc& want) {
    if (plain.get_desc() == want) return plain;
    dnnl::memory m = memory(want);
    dnnl::reorder(plain, m).execute(dnnl_stream(), const_cast<dnnl::memory&>(plain), m);
    return m;
}

dnnl::memory LayoutBlocks::output_layout(const dnnl::memory& plain, const dnnl::memory::desc& want) {
    return plain.get_desc() == want ? plain : memory(want);
}

void from_layout(const dnnl::memory& written, const dnnl::memory& plain) {
    if (written.get(true) == plain.get(true)) return;
    dnnl::reorder(written, plain).execute(dnnl_stream(), const_cast<dnnl::memory&>(written), const_cast<dnnl::memory&>(plain));
    dnnl_stream().wait();
}

void execute(const dnnl::primitive& p, const std::unordered_map<int, dnnl::memory>& args) {
    dnnl::stream& s = dnnl_stream();
    p.execute(s, args);
    s.wait();
}

}  // namespace neura::cpu
