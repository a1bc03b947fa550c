#pragma once
// The one builder of the op table's samples, shared by tst_ops (against PyTorch) and tests/cuda/tst_parity
// (GPU against CPU): the fixtures of tests/reference/ops_reference.json turned into input tensors of a
// dtype, a memory layout and a device, and the value comparison both use (NaN equals NaN, infinities
// must match exactly).
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/TestSupport.h"
#include "engine/OpTable.h"

namespace neura::test {

inline const nlohmann::json& op_fixtures() { return fixture("ops_reference.json"); }

inline const nlohmann::json& case_fixture(const OpCase& c) {
    const auto& cases = op_fixtures()["cases"];
    if (!cases.contains(c.name)) qFatal("no PyTorch fixture for op table case %s", c.name.c_str());
    return cases[c.name];
}
inline const nlohmann::json& sample_fixture(const OpCase& c, std::size_t s) { return case_fixture(c)["samples"][s]; }
inline std::size_t sample_count(const OpCase& c) { return case_fixture(c)["samples"].size(); }

inline const char* dtype_key(DType t) { return t == DType::F64 ? "f64" : t == DType::F32 ? "f32" : "i64"; }
inline std::string dtypes_key(const std::vector<DType>& ts) {  // as make_fixtures.py writes them
    std::string k;
    for (DType t : ts)
        if (t == DType::F64) k += "f";
        else if (t == DType::I64) k += "i";
    return k;
}

// Whether PyTorch ran sample s in dtype t (an int64 form needs finite values; an int-only sample runs as int64).
inline bool sample_has(const OpCase& c, std::size_t s, DType t) { return sample_fixture(c, s).contains(dtype_key(t)); }
// PyTorch's result for sample s in dtype t: "dtype", "shape", "values", and for a float output that
// requires grad "grad_output" and "grads" (null where PyTorch gives an input no gradient).
inline const nlohmann::json& sample_ref(const OpCase& c, std::size_t s, DType t) {
    return sample_fixture(c, s)[dtype_key(t)];
}

inline double json_value(const nlohmann::json& v) {
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
        if (s == "inf") return std::numeric_limits<double>::infinity();
        if (s == "-inf") return -std::numeric_limits<double>::infinity();
        qFatal("bad fixture value %s", s.c_str());
    }
    return v.get<double>();
}
inline std::vector<double> json_values(const nlohmann::json& a) {
    std::vector<double> out;
    out.reserve(a.size());
    for (const auto& v : a) out.push_back(json_value(v));
    return out;
}

enum class Layout { Contiguous, Transposed, Sliced };
inline const char* layout_name(Layout l) {
    return l == Layout::Contiguous ? "contiguous" : l == Layout::Transposed ? "transposed" : "sliced";
}

// The same values in another memory layout, made on t's device: a transposed copy viewed back, or every
// second element of a larger buffer.
inline Tensor with_layout(const Tensor& t, Layout layout) {
    NoGradGuard ng;
    if (layout == Layout::Transposed && t.dim() >= 2) return t.transpose(-1, -2).contiguous().transpose(-1, -2);
    if (layout == Layout::Sliced && t.dim() >= 1) {
        Shape big = t.shape();
        big.back() *= 2;
        Tensor buf = Tensor::full(big, 99.0, t.dtype(), t.device());
        Tensor view = buf.slice(-1, 0, big.back(), 2);
        view.copy_(t);
        return view;
    }
    return t.clone();
}

// Sample s of case c as tensors on `device` in `layout`. Float inputs take dtype t (for I64 their int64
// form); int inputs (indices, masks) are I64. requires_grad: on the float inputs of a float dtype.
inline std::vector<Tensor> sample_inputs(const OpCase& c, std::size_t s, DType t, Layout layout,
                                         Device device = Device::cpu(), bool requires_grad = false) {
    const auto& spec = sample_fixture(c, s);
    std::vector<Tensor> out;
    for (std::size_t i = 0; i < spec["inputs"].size(); ++i) {
        const auto& in = spec["inputs"][i];
        const Shape shape = in["shape"].get<Shape>();
        const bool is_int = in["int"].get<bool>();
        Tensor x;
        if (is_int || t == DType::I64) {
            const auto& values = is_int ? in["values"] : spec["i64_inputs"][i];
            x = Tensor::from_vector(values.get<std::vector<std::int64_t>>(), shape, DType::I64);
        } else {
            x = Tensor::from_vector(json_values(in["values"]), shape, t);
        }
        x = with_layout(x.to(device), layout);
        if (requires_grad && !is_int && is_floating(t)) x.requires_grad_();
        out.push_back(x);
    }
    return out;
}

// Whether input i of sample s is a float input (gets dtype t, and a gradient in F32/F64).
inline bool sample_input_is_float(const OpCase& c, std::size_t s, std::size_t i) {
    return !sample_fixture(c, s)["inputs"][i]["int"].get<bool>();
}

// The first element where got and want differ by more than tol * (1 + |want|), as a message; NaN must
// meet NaN and an infinity the same infinity. tol 0: exact.
inline std::optional<std::string> value_mismatch(const std::vector<double>& got, const std::vector<double>& want, double tol,
                                           const std::string& what) {
    if (got.size() != want.size())
        return what + ": " + std::to_string(got.size()) + " values, expected " + std::to_string(want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double g = got[i], w = want[i];
        bool ok;
        if (std::isnan(w) || std::isnan(g)) ok = std::isnan(w) && std::isnan(g);
        else if (std::isinf(w) || std::isinf(g)) ok = g == w;
        else ok = std::abs(g - w) <= tol * (1.0 + std::abs(w));
        if (!ok) {
            char buf[160];
            std::snprintf(buf, sizeof buf, "[%zu]: got %.17g, expected %.17g", i, g, w);
            std::string msg = what + buf;
            if (got.size() <= 16) {  // small: all of it
                auto list = [](const std::vector<double>& v) {
                    std::string r = "[";
                    for (std::size_t k = 0; k < v.size(); ++k) r += (k ? ", " : "") + QString::number(v[k], 'g', 9).toStdString();
                    return r + "]";
                };
                msg += " (got " + list(got) + ", expected " + list(want) + ")";
            }
            return msg;
        }
    }
    return std::nullopt;
}

}  // namespace neura::test
