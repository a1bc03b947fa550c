#pragma once
// Layer attribute values (PyTorch's constructor arguments: out_features, kernel_size, p, ...).
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace neura::graph {

enum class AttributeType : std::uint8_t { Int, Float, Bool, Choice, IntList };
const char* attribute_type_name(AttributeType t);  // "int", "float", "bool", "choice", "int-list"

// Int → std::int64_t, Float → double, Bool → bool, Choice → std::string, IntList → std::vector<std::int64_t>.
using AttributeValue = std::variant<std::int64_t, double, bool, std::string, std::vector<std::int64_t>>;
using AttributeMap = std::map<std::string, AttributeValue>;

AttributeType type_of(const AttributeValue& v);
std::string to_string(const AttributeValue& v);  // "64", "0.5", "true", "mean", "[3, 3]"

// Typed reads for shape rules and builders; throw neura::Error naming the attribute when it is
// missing or of another type. float_attribute also accepts an Int value.
std::int64_t int_attribute(const AttributeMap& a, const std::string& name);
double float_attribute(const AttributeMap& a, const std::string& name);
bool bool_attribute(const AttributeMap& a, const std::string& name);
const std::string& choice_attribute(const AttributeMap& a, const std::string& name);
const std::vector<std::int64_t>& int_list_attribute(const AttributeMap& a, const std::string& name);

}  // namespace neura::graph
