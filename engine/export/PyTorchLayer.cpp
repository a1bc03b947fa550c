// Python literals for the PyTorch mappings (neura/export/PyTorchLayer.h).
#include "neura/export/PyTorchLayer.h"

#include <charconv>
#include <cmath>

namespace neura::pytorch {

std::string py_float(double v) {
    if (std::isnan(v)) return "float(\"nan\")";
    if (std::isinf(v)) return v > 0 ? "float(\"inf\")" : "float(\"-inf\")";
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);  // the shortest text that reads back as v
    std::string s(buf, r.ptr);
    if (s.find_first_of(".e") == std::string::npos) s += ".0";
    return s;
}

std::string py_bool(bool v) { return v ? "True" : "False"; }

std::string py_ints(const std::vector<std::int64_t>& v) {
    std::string s = "(";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + (v.size() == 1 ? ",)" : ")");
}

std::string py_str(const std::string& s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out + "\"";
}

}  // namespace neura::pytorch
