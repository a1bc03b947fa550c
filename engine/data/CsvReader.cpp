#include "neura/data/CsvReader.h"

#include <algorithm>
#include <map>
#include <set>

#include "data/TextFile.h"

namespace neura::data {

namespace {

constexpr std::int64_t kMaxClasses = std::int64_t{1} << 20;  // integer labels 0 .. 1,048,575

using internal::where;

char pick_delimiter(std::string_view first_line) {
    char best = ',';
    std::size_t best_cells = 0;
    for (char d : {',', ';', '\t'}) {
        std::size_t cells = 0;
        try {
            cells = internal::split_csv_row(first_line, d).size();
        } catch (const Error&) {
            // A malformed row still shows its separator; the parse below reports the quote.
            cells = static_cast<std::size_t>(std::count(first_line.begin(), first_line.end(), d)) + 1;
        }
        if (cells > best_cells) {
            best = d;
            best_cells = cells;
        }
    }
    return best;
}

}  // namespace

// ---------------------------------------------------------------- CsvTable

std::string CsvTable::column_name(std::int64_t j) const {
    return has_header() ? header[static_cast<std::size_t>(j)] : detail::concat("col", j + 1);
}

std::string CsvTable::column_label(std::int64_t j) const {
    std::string s = detail::concat("column ", j + 1);
    if (has_header() && !header[static_cast<std::size_t>(j)].empty()) s += " ('" + header[static_cast<std::size_t>(j)] + "')";
    return s;
}

std::int64_t CsvTable::find_column(const std::string& name, const std::string& role) const {
    if (const auto idx = internal::parse_integer(name)) {
        const std::int64_t j = *idx < 0 ? columns + *idx : *idx;
        NEURA_CHECK(j >= 0 && j < columns, source, ": ", role, " ", *idx, " does not exist (the file has ", columns,
                    " columns, indices 0..", columns - 1, ")");
        return j;
    }
    NEURA_CHECK(has_header(), source, ": ", role, " '", name, "' named but the file has no header row");
    const auto it = std::find(header.begin(), header.end(), std::string(internal::trim(name)));
    if (it == header.end()) {
        std::string names;
        for (const auto& h : header) names += (names.empty() ? "" : ", ") + h;
        throw Error(detail::concat(source, ": no column named '", name, "'; the columns are ", names));
    }
    return it - header.begin();
}

CsvTable read_csv_table(const std::filesystem::path& path, CsvOptions::Header header, char delimiter) {
    return parse_csv_table(internal::read_file(path), path.string(), header, delimiter);
}

CsvTable parse_csv_table(std::string_view text, const std::string& source_name, CsvOptions::Header header,
                         char delimiter) {
    const std::filesystem::path src(source_name);
    const auto lines = internal::nonblank_lines(text);
    NEURA_CHECK(!lines.empty(), source_name, ": no data (the file is empty)");

    CsvTable out;
    out.source = source_name;
    out.delimiter = delimiter != 0 ? delimiter : pick_delimiter(lines[0].text);
    std::vector<CsvTable::Row>& rows = out.rows;
    rows.reserve(lines.size());
    for (const auto& line : lines) {
        try {
            rows.push_back({line.number, internal::split_csv_row(line.text, out.delimiter)});
        } catch (const Error& e) {
            throw Error(where(src, line.number) + e.what());
        }
    }

    // ---- header
    bool has_header = false;
    switch (header) {
        case CsvOptions::Header::Present: has_header = true; break;
        case CsvOptions::Header::Absent: has_header = false; break;
        case CsvOptions::Header::Auto:
            if (rows.size() == 1) {
                has_header = std::none_of(rows[0].cells.begin(), rows[0].cells.end(),
                                          [](const std::string& c) { return internal::parse_number(c).has_value(); });
            } else {
                const std::size_t n = std::min(rows[0].cells.size(), rows[1].cells.size());
                for (std::size_t j = 0; j < n && !has_header; ++j)
                    has_header = !internal::parse_number(rows[0].cells[j]) && internal::parse_number(rows[1].cells[j]);
            }
            break;
    }
    if (has_header) {
        out.header = std::move(rows.front().cells);
        rows.erase(rows.begin());
    }
    NEURA_CHECK(!rows.empty(), source_name, ": no data rows", has_header ? " after the header" : "");
    out.columns = static_cast<std::int64_t>(has_header ? out.header.size() : rows.front().cells.size());
    const std::int64_t ref_line = has_header ? lines.front().number : rows.front().line;
    for (const CsvTable::Row& r : rows)
        NEURA_CHECK(static_cast<std::int64_t>(r.cells.size()) == out.columns, where(src, r.line), r.cells.size(),
                    " cells, expected ", out.columns, " as on line ", ref_line);
    return out;
}

// ---------------------------------------------------------------- read_csv

CsvData read_csv(const std::filesystem::path& path, const CsvOptions& options) {
    return parse_csv(internal::read_file(path), path.string(), options);
}

CsvData parse_csv(std::string_view text, const std::string& source_name, const CsvOptions& options) {
    const std::filesystem::path src(source_name);
    const CsvTable table = parse_csv_table(text, source_name, options.header, options.delimiter);
    const std::vector<CsvTable::Row>& rows = table.rows;
    const std::int64_t ncols = table.columns;
    NEURA_CHECK(ncols >= 2, source_name, ": need at least two columns (features and a label), found ", ncols);

    CsvData out;
    out.delimiter = table.delimiter;
    out.has_header = table.has_header();

    // ---- label column
    const std::int64_t label =
        options.label_column.empty() ? ncols - 1 : table.find_column(options.label_column, "label column");
    out.label_column = label;
    out.label_name = table.column_name(label);
    for (std::int64_t j = 0; j < ncols; ++j)
        if (j != label) out.feature_names.push_back(table.column_name(j));

    // ---- features
    const auto n = static_cast<std::int64_t>(rows.size());
    const std::int64_t f = ncols - 1;
    Tensor features = Tensor::empty({n, f}, DType::F32);
    float* x = features.data<float>();
    for (std::int64_t r = 0; r < n; ++r) {
        const CsvTable::Row& row = rows[static_cast<std::size_t>(r)];
        std::int64_t k = 0;
        for (std::int64_t j = 0; j < ncols; ++j) {
            if (j == label) continue;
            const std::string& cell = row.cells[static_cast<std::size_t>(j)];
            const auto v = internal::parse_number(cell);
            if (!v) {
                throw Error(detail::concat(where(src, row.line), table.column_label(j),
                                           cell.empty() ? std::string(": empty cell") : ": '" + cell + "' is not a number"));
            }
            x[r * f + k++] = static_cast<float>(*v);
        }
    }

    // ---- labels
    CsvOptions::Labels mode = options.labels;
    if (mode == CsvOptions::Labels::Auto) {
        const bool all_int = std::all_of(rows.begin(), rows.end(), [&](const CsvTable::Row& row) {
            const auto y = internal::parse_integer(row.cells[static_cast<std::size_t>(label)]);
            return y && *y >= 0;
        });
        mode = all_int ? CsvOptions::Labels::Integer : CsvOptions::Labels::Names;
    }
    const auto label_cell = [&](const CsvTable::Row& row) -> const std::string& { return row.cells[static_cast<std::size_t>(label)]; };
    const std::string label_where = table.column_label(label);

    if (mode == CsvOptions::Labels::Regression) {
        Tensor targets = Tensor::empty({n, 1}, DType::F32);
        float* t = targets.data<float>();
        for (std::int64_t r = 0; r < n; ++r) {
            const CsvTable::Row& row = rows[static_cast<std::size_t>(r)];
            const auto v = internal::parse_number(label_cell(row));
            NEURA_CHECK(v, where(src, row.line), label_where, ": target '", label_cell(row), "' is not a number");
            t[r] = static_cast<float>(*v);
        }
        out.dataset = std::make_shared<TensorDataset>(features, targets);
        return out;
    }

    Tensor targets = Tensor::empty({n}, DType::I64);
    auto* t = targets.data<std::int64_t>();
    if (mode == CsvOptions::Labels::Integer) {
        std::int64_t max_label = 0;
        for (std::int64_t r = 0; r < n; ++r) {
            const CsvTable::Row& row = rows[static_cast<std::size_t>(r)];
            const auto y = internal::parse_integer(label_cell(row));
            NEURA_CHECK(y && *y >= 0, where(src, row.line), label_where, ": label '", label_cell(row),
                        "' is not a class index (an integer >= 0)");
            // Integer labels make max + 1 classes: a file must not claim more than a model can have.
            NEURA_CHECK(*y < kMaxClasses, where(src, row.line), label_where, ": label ", *y,
                        " would make more than ", kMaxClasses, " classes; read the labels as class names instead");
            t[r] = *y;
            max_label = std::max(max_label, *y);
        }
        for (std::int64_t c = 0; c <= max_label; ++c) out.class_names.push_back(std::to_string(c));
    } else {
        std::set<std::string> names;
        for (const CsvTable::Row& row : rows) {
            NEURA_CHECK(!label_cell(row).empty(), where(src, row.line), label_where, ": empty label");
            names.insert(label_cell(row));
        }
        out.class_names.assign(names.begin(), names.end());
        std::map<std::string, std::int64_t> index;
        for (std::size_t c = 0; c < out.class_names.size(); ++c) index[out.class_names[c]] = static_cast<std::int64_t>(c);
        for (std::int64_t r = 0; r < n; ++r) t[r] = index.at(label_cell(rows[static_cast<std::size_t>(r)]));
    }
    out.dataset = std::make_shared<TensorDataset>(features, targets, static_cast<std::int64_t>(out.class_names.size()),
                                                  out.class_names);
    return out;
}

}  // namespace neura::data
