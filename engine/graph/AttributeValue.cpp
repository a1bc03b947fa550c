#include "neura/graph/AttributeValue.h"

#include <sstream>

#include "neura/core/Error.h"

namespace neura::graph {

const char* attribute_type_name(AttributeType t) {
    switch (t) {
        case AttributeType::Int: return "int";
        case AttributeType::Float: return "float";
        case AttributeType::Bool: return "bool";
        case AttributeType::Choice: return "choice";
        case AttributeType::IntList: return "int-list";
    }
    return "?";
}

AttributeType type_of(const AttributeValue& v) {
    // The variant's alternatives are declared in AttributeType's order.
    return static_cast<AttributeType>(v.index());
}

std::string to_string(const AttributeValue& v) {
    std::ostringstream os;
    switch (type_of(v)) {
        case AttributeType::Int: os << std::get<std::int64_t>(v); break;
        case AttributeType::Float: os << std::get<double>(v); break;
        case AttributeType::Bool: os << (std::get<bool>(v) ? "true" : "false"); break;
        case AttributeType::Choice: os << std::get<std::string>(v); break;
        case AttributeType::IntList: {
            os << '[';
            const auto& l = std::get<std::vector<std::int64_t>>(v);
            for (std::size_t i = 0; i < l.size(); ++i) os << (i ? ", " : "") << l[i];
            os << ']';
            break;
        }
    }
    return os.str();
}

namespace {
template <class T>
const T& typed(const AttributeMap& a, const std::string& name, AttributeType want) {
    auto it = a.find(name);
    NEURA_CHECK(it != a.end(), "attribute ", name, " is missing");
    const T* p = std::get_if<T>(&it->second);
    NEURA_CHECK(p, "attribute ", name, " should be of type ", attribute_type_name(want), ", is ",
                attribute_type_name(type_of(it->second)));
    return *p;
}
}  // namespace

std::int64_t int_attribute(const AttributeMap& a, const std::string& name) {
    return typed<std::int64_t>(a, name, AttributeType::Int);
}

double float_attribute(const AttributeMap& a, const std::string& name) {
    auto it = a.find(name);
    if (it != a.end())
        if (const auto* i = std::get_if<std::int64_t>(&it->second)) return static_cast<double>(*i);
    return typed<double>(a, name, AttributeType::Float);
}

bool bool_attribute(const AttributeMap& a, const std::string& name) {
    return typed<bool>(a, name, AttributeType::Bool);
}

const std::string& choice_attribute(const AttributeMap& a, const std::string& name) {
    return typed<std::string>(a, name, AttributeType::Choice);
}

const std::vector<std::int64_t>& int_list_attribute(const AttributeMap& a, const std::string& name) {
    return typed<std::vector<std::int64_t>>(a, name, AttributeType::IntList);
}

}  // namespace neura::graph
