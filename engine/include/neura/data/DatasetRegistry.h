#pragma once
// Datasets by name with string parameters: what the GUI's dataset form and the CLI use.
//
//   auto data = make_dataset("spiral", {{"n", "300"}, {"noise", "0.1"}, {"seed", "1"}, {"classes", "3"}});
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "neura/data/Dataset.h"

namespace neura::data {

using DatasetParams = std::map<std::string, std::string>;

struct DatasetParam {
    enum class Kind : std::uint8_t { Int, Float, Bool, String, Path };
    std::string name;
    Kind kind = Kind::String;
    std::string default_value;  // "" for a required parameter of kind Path
    std::string help;
    std::optional<double> min;  // inclusive bounds for Int and Float, for the form's spin boxes too
    std::optional<double> max;
    std::vector<std::string> choices;  // the allowed values of a String parameter, when limited
};
const char* param_kind_name(DatasetParam::Kind k);  // "int", "float", "bool", "string", "path"

struct DatasetInfo {
    std::string name;
    std::string description;
    Task task = Task::Classification;
    std::vector<DatasetParam> params;
};

// Every registered dataset with its parameters, in a stable order (synthetic first, then the shipped
// real sets, then the file readers).
const std::vector<DatasetInfo>& dataset_names();
// The entry for `name`; throws neura::Error naming it when unknown.
const DatasetInfo& dataset_info(const std::string& name);

// Builds dataset `name`; missing parameters take their defaults. Throws neura::Error naming the
// dataset for an unknown name, and the parameter for an unknown parameter or a value that does not
// parse or is out of range.
DatasetPtr make_dataset(const std::string& name, const DatasetParams& params = {});

}  // namespace neura::data
