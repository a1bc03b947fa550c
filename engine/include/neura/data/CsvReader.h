#pragma once
// Reads users' own tabular data: one sample per row, numeric feature columns and one label column.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "neura/data/Dataset.h"

namespace neura::data {

struct CsvOptions {
    enum class Header : std::uint8_t { Auto, Present, Absent };
    enum class Labels : std::uint8_t { Auto, Integer, Names, Regression };

    // Auto: the first row is a header when some cell of it is not a number while the cell below it
    // is (so "x,y,label" over "1,2,cat" is a header, "1,2,cat" over "3,4,dog" is not).
    Header header = Header::Auto;
    // The label column: a header name, or a 0-based index (negative counts from the end: -1 is the
    // last). Empty means the last column.
    std::string label_column;
    // Integer: labels are class indices ≥ 0 (below 2^20), kept as they are (num_classes = max + 1).
    // Names: labels are class names, mapped to 0, 1, … in sorted order (even when they look numeric).
    // Auto: Integer when every label is a non-negative integer, else Names.
    // Regression: the label column is a numeric F32 target ([N, 1]).
    Labels labels = Labels::Auto;
    // ',' ';' or '\t'; 0 picks whichever of them splits the first row into the most cells.
    char delimiter = 0;
};

struct CsvData {
    std::shared_ptr<TensorDataset> dataset;
    std::vector<std::string> feature_names;  // the header's, or "col1", "col2", … (1-based file column numbers)
    std::string label_name;
    std::int64_t label_column = 0;           // 0-based, in the file
    bool has_header = false;
    char delimiter = ',';
    // Class index → the label as written in the file (the mapping used), for classification.
    std::vector<std::string> class_names;
};

// Throws neura::Error with "file:line: " for a ragged row, a non-numeric or empty feature cell, a bad
// label, and names the option for a label column that does not exist.
CsvData read_csv(const std::filesystem::path& path, const CsvOptions& options = {});
// The same on text already in memory; `source_name` stands in for the file name in errors.
CsvData parse_csv(std::string_view text, const std::string& source_name, const CsvOptions& options = {});

}  // namespace neura::data
