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

// A CSV file as a table of text cells: what read_csv reads before it looks at any cell (the
// delimiter, the header, rows of equal length), for readers that pick their own columns.
struct CsvTable {
    struct Row {
        std::int64_t line = 0;  // 1-based line in the file
        std::vector<std::string> cells;
    };
    std::string source;                // the file name errors give
    std::vector<std::string> header;   // the column names; empty without a header row
    std::vector<Row> rows;             // the data rows (at least one), each of `columns` cells
    std::int64_t columns = 0;
    char delimiter = ',';

    bool has_header() const { return !header.empty(); }
    // Column j's header name, or "col<j+1>" without a header.
    std::string column_name(std::int64_t j) const;
    // "column 3 ('temp')", for messages.
    std::string column_label(std::int64_t j) const;
    // The 0-based column a user named: a header name, or an index (negative counts from the end).
    // Throws neura::Error naming the file and `role` ("label column", "column") when there is none.
    std::int64_t find_column(const std::string& name, const std::string& role) const;
};

// Throws neura::Error naming the file when it is missing, unreadable, empty, has no data rows, a row
// with an unterminated quote, or rows of different lengths ("file:line: 3 cells, expected 4 ...").
CsvTable read_csv_table(const std::filesystem::path& path, CsvOptions::Header header = CsvOptions::Header::Auto,
                        char delimiter = 0);
CsvTable parse_csv_table(std::string_view text, const std::string& source_name,
                         CsvOptions::Header header = CsvOptions::Header::Auto, char delimiter = 0);

// Throws neura::Error with "file:line: " for a ragged row, a non-numeric or empty feature cell, a bad
// label, and names the option for a label column that does not exist.
CsvData read_csv(const std::filesystem::path& path, const CsvOptions& options = {});
// The same on text already in memory; `source_name` stands in for the file name in errors.
CsvData parse_csv(std::string_view text, const std::string& source_name, const CsvOptions& options = {});

}  // namespace neura::data
