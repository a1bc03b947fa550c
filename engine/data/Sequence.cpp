#include "neura/data/Sequence.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "data/Random.h"
#include "data/TextFile.h"
#include "neura/data/CsvReader.h"

namespace neura::data {

// ---------------------------------------------------------------- sine-forecast

namespace {
constexpr std::int64_t kMaxSequenceValues = 50'000'000;
}  // namespace

std::vector<double> sine_forecast_series(std::int64_t steps, std::int64_t waves, double noise, std::uint64_t seed) {
    NEURA_CHECK(steps >= 1, "sine_forecast: the series needs at least 1 step, got ", steps);
    NEURA_CHECK(waves >= 1, "sine_forecast: waves must be at least 1, got ", waves);
    NEURA_CHECK(std::isfinite(noise) && noise >= 0.0, "sine_forecast: noise must be >= 0, got ", noise);
    internal::Rng rng(seed);
    struct Wave {
        double amplitude, frequency, phase;
    };
    std::vector<Wave> w(static_cast<std::size_t>(waves));
    for (Wave& k : w) {
        k.amplitude = rng.uniform(0.2, 1.0);
        k.frequency = rng.uniform(1.0 / 64.0, 1.0 / 8.0);
        k.phase = rng.uniform(0.0, 2.0 * std::numbers::pi);
    }
    std::vector<double> x(static_cast<std::size_t>(steps));
    for (std::int64_t t = 0; t < steps; ++t) {
        double v = 0.0;
        for (const Wave& k : w)
            v += k.amplitude * std::sin(2.0 * std::numbers::pi * k.frequency * static_cast<double>(t) + k.phase);
        x[static_cast<std::size_t>(t)] = v + noise * rng.normal();
    }
    return x;
}

namespace {

// Forecasting windows of one series: sample i reads steps i .. i + span - 1 (its window and its targets).
class SeriesWindows final : public TensorDataset {
public:
    SeriesWindows(const Tensor& features, const Tensor& targets, std::int64_t span)
        : TensorDataset(features, targets), span_(span) {}
    std::optional<StepRange> time_steps(std::int64_t index) const override {
        NEURA_CHECK(index >= 0 && index < size(), "sine_forecast: sample ", index, " out of range [0, ", size(), ")");
        return StepRange{index, index + span_ - 1};
    }

private:
    std::int64_t span_;
};

}  // namespace

std::shared_ptr<TensorDataset> sine_forecast(std::int64_t n_samples, std::int64_t length, std::int64_t horizon,
                                             std::int64_t waves, double noise, std::uint64_t seed) {
    NEURA_CHECK(n_samples >= 1, "sine_forecast: n_samples must be at least 1, got ", n_samples);
    NEURA_CHECK(length >= 1, "sine_forecast: length must be at least 1, got ", length);
    NEURA_CHECK(horizon >= 1, "sine_forecast: horizon must be at least 1, got ", horizon);
    NEURA_CHECK(n_samples <= kMaxSequenceValues / length && n_samples <= kMaxSequenceValues / horizon,
                "sine_forecast: ", n_samples, " samples of length ", length, " and horizon ", horizon,
                " would hold more than ", kMaxSequenceValues, " values");
    const std::vector<double> x = sine_forecast_series(n_samples + length + horizon - 1, waves, noise, seed);
    Tensor features = Tensor::empty({n_samples, length, 1}, DType::F32);
    Tensor targets = Tensor::empty({n_samples, horizon}, DType::F32);
    float* f = features.data<float>();
    float* y = targets.data<float>();
    for (std::int64_t i = 0; i < n_samples; ++i) {
        for (std::int64_t j = 0; j < length; ++j) f[i * length + j] = static_cast<float>(x[static_cast<std::size_t>(i + j)]);
        for (std::int64_t h = 0; h < horizon; ++h)
            y[i * horizon + h] = static_cast<float>(x[static_cast<std::size_t>(i + length + h)]);
    }
    return std::make_shared<SeriesWindows>(features, targets, length + horizon);
}

// ---------------------------------------------------------------- csv-series

std::vector<std::string> split_column_list(std::string_view list) {
    std::vector<std::string> out;
    if (internal::trim(list).empty()) return out;
    std::size_t start = 0;
    while (true) {
        const std::size_t plus = list.find('+', start);
        out.emplace_back(internal::trim(list.substr(start, plus == std::string_view::npos ? plus : plus - start)));
        if (plus == std::string_view::npos) break;
        start = plus + 1;
    }
    return out;
}

namespace {

constexpr std::int64_t kMaxSeriesSteps = 1'000'000;  // the most window, horizon or stride

// The file columns `names` select (role: "input column", "target column"), each once.
std::vector<std::int64_t> find_columns(const CsvTable& table, const std::vector<std::string>& names, const char* role) {
    std::vector<std::int64_t> cols;
    for (const std::string& name : names) {
        NEURA_CHECK(!name.empty(), table.source, ": an empty ", role, " name (columns are joined by '+')");
        const std::int64_t j = table.find_column(name, role);
        NEURA_CHECK(std::find(cols.begin(), cols.end(), j) == cols.end(), table.source, ": ", role, " '", name,
                    "' is named twice (", table.column_label(j), ")");
        cols.push_back(j);
    }
    return cols;
}

}  // namespace

CsvSeriesDataset::CsvSeriesDataset(const std::filesystem::path& path, CsvSeriesOptions options)
    : options_(std::move(options)) {
    const std::string file = path.string();
    const auto check_steps = [&](const char* what, std::int64_t v) {
        NEURA_CHECK(v >= 1 && v <= kMaxSeriesSteps, file, ": ", what, " must be in [1, ", kMaxSeriesSteps, "], got ", v);
    };
    check_steps("window", options_.window);
    check_steps("horizon", options_.horizon);
    check_steps("stride", options_.stride);

    const CsvTable table = read_csv_table(path);
    rows_ = static_cast<std::int64_t>(table.rows.size());

    // ---- columns: the inputs (default: the numeric ones), then the targets (default: the inputs)
    std::vector<std::int64_t> inputs = find_columns(table, options_.columns, "input column");
    if (options_.columns.empty()) {
        const auto& first = table.rows.front();
        for (std::int64_t j = 0; j < table.columns; ++j)
            if (internal::parse_number(first.cells[static_cast<std::size_t>(j)])) inputs.push_back(j);
        NEURA_CHECK(!inputs.empty(), file, ": no numeric column (line ", first.line,
                    " has no number); a time series needs at least one");
    }
    std::vector<std::int64_t> targets = find_columns(table, options_.targets, "target column");
    if (options_.targets.empty()) targets = inputs;

    // The stored row holds each used file column once: the inputs, then targets that are not inputs.
    std::vector<std::int64_t> used = inputs;
    for (std::int64_t j : targets)
        if (std::find(used.begin(), used.end(), j) == used.end()) used.push_back(j);
    const auto position = [&](std::int64_t j) {
        return static_cast<std::int64_t>(std::find(used.begin(), used.end(), j) - used.begin());
    };
    for (std::int64_t j : inputs) {
        feature_cols_.push_back(position(j));
        feature_names_.push_back(table.column_name(j));
    }
    for (std::int64_t j : targets) {
        target_cols_.push_back(position(j));
        target_names_.push_back(table.column_name(j));
    }

    // ---- values
    width_ = static_cast<std::int64_t>(used.size());
    values_.resize(static_cast<std::size_t>(rows_ * width_));
    const std::filesystem::path src(file);
    for (std::int64_t r = 0; r < rows_; ++r) {
        const CsvTable::Row& row = table.rows[static_cast<std::size_t>(r)];
        for (std::int64_t k = 0; k < width_; ++k) {
            const std::int64_t j = used[static_cast<std::size_t>(k)];
            const std::string& cell = row.cells[static_cast<std::size_t>(j)];
            const auto v = internal::parse_number(cell);
            if (!v) {
                throw Error(detail::concat(internal::where(src, row.line), table.column_label(j),
                                           cell.empty() ? std::string(": empty cell") : ": '" + cell + "' is not a number",
                                           " (a time series column must hold a number on every row)"));
            }
            values_[static_cast<std::size_t>(r * width_ + k)] = static_cast<float>(*v);
        }
    }

    // ---- samples
    const std::int64_t span = options_.window + options_.horizon;
    NEURA_CHECK(rows_ >= span, file, ": the series has ", rows_, " rows, fewer than window + horizon = ",
                options_.window, " + ", options_.horizon, " = ", span, " (one sample needs that many)");
    n_ = (rows_ - span) / options_.stride + 1;
}

std::optional<StepRange> CsvSeriesDataset::time_steps(std::int64_t index) const {
    check_index(index);
    const std::int64_t s = index * options_.stride;
    return StepRange{s, s + options_.window + options_.horizon - 1};
}

void CsvSeriesDataset::read_features(std::int64_t index, float* out) const {
    check_index(index);
    const float* row = values_.data() + index * options_.stride * width_;
    for (std::int64_t t = 0; t < options_.window; ++t, row += width_)
        for (std::int64_t c : feature_cols_) *out++ = row[c];
}

void CsvSeriesDataset::read_target(std::int64_t index, float* out) const {
    check_index(index);
    const float* row = values_.data() + (index * options_.stride + options_.window) * width_;
    for (std::int64_t h = 0; h < options_.horizon; ++h, row += width_)
        for (std::int64_t c : target_cols_) *out++ = row[c];
}

// ---------------------------------------------------------------- token tasks

const char* token_task_name(TokenTask task) {
    switch (task) {
        case TokenTask::Copy: return "copy";
        case TokenTask::Reverse: return "reverse";
        case TokenTask::Sort: return "sort";
    }
    return "?";
}

// Features F32 [n, length] and targets I64 [n, length] of one token task (the TensorDataset's inputs),
// with each sample's length when they vary.
TokenTaskDataset::Tokens TokenTaskDataset::make_tokens(TokenTask task, std::int64_t n, std::int64_t length, std::int64_t vocab,
                                            std::uint64_t seed, std::int64_t min_length) {
    const char* name = token_task_name(task);
    NEURA_CHECK(n >= 1, name, ": n must be at least 1, got ", n);
    NEURA_CHECK(length >= 1, name, ": length must be at least 1, got ", length);
    NEURA_CHECK(vocab >= 2, name, ": vocab must be at least 2 tokens, got ", vocab);
    NEURA_CHECK(min_length >= 0 && min_length <= length, name, ": min_length must be between 1 and length (", length,
                "), or 0 for fixed-length samples; got ", min_length);
    const bool variable = min_length > 0 && min_length < length;
    NEURA_CHECK(n <= kMaxSequenceValues / length, name, ": ", n, " samples of length ", length,
                " would hold more than ", kMaxSequenceValues, " tokens");
    internal::Rng rng(seed);
    Tensor features = Tensor::empty({n, length}, DType::F32);
    Tensor targets = Tensor::empty({n, length}, DType::I64);
    float* f = features.data<float>();
    std::int64_t* y = targets.data<std::int64_t>();
    std::vector<std::int64_t> tokens;
    std::vector<std::int64_t> lengths;
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int64_t len =
            variable ? min_length + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(length - min_length + 1)))
                     : length;
        if (variable) lengths.push_back(len);
        tokens.resize(static_cast<std::size_t>(len));
        for (auto& t : tokens) t = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(vocab)));
        for (std::int64_t j = 0; j < length; ++j)
            f[i * length + j] = static_cast<float>(j < len ? tokens[static_cast<std::size_t>(j)] : vocab);
        if (task == TokenTask::Reverse) std::reverse(tokens.begin(), tokens.end());
        if (task == TokenTask::Sort) std::sort(tokens.begin(), tokens.end());
        std::copy(tokens.begin(), tokens.end(), y + i * length);
        std::fill(y + i * length + len, y + (i + 1) * length, kIgnoreLabel);
    }
    return {features, targets, lengths};
}

TokenTaskDataset::TokenTaskDataset(TokenTask task, std::int64_t n_samples, std::int64_t length, std::int64_t vocab,
                                   std::uint64_t seed, std::int64_t min_length)
    : TokenTaskDataset(task, make_tokens(task, n_samples, length, vocab, seed, min_length), vocab) {}

TokenTaskDataset::TokenTaskDataset(TokenTask task, Tokens tokens, std::int64_t vocab)
    : TensorDataset(tokens.features, tokens.targets, vocab), task_(task), lengths_(std::move(tokens.lengths)) {}

std::int64_t TokenTaskDataset::sequence_length(std::int64_t index) const {
    check_index(index);
    return lengths_.empty() ? feature_shape().front() : lengths_[static_cast<std::size_t>(index)];
}

// ---------------------------------------------------------------- text

std::string utf8_encode(char32_t c) {
    std::string s;
    const auto u = static_cast<std::uint32_t>(c);
    if (u < 0x80) {
        s += static_cast<char>(u);
    } else if (u < 0x800) {
        s += static_cast<char>(0xC0 | (u >> 6));
        s += static_cast<char>(0x80 | (u & 0x3F));
    } else if (u < 0x10000) {
        s += static_cast<char>(0xE0 | (u >> 12));
        s += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (u & 0x3F));
    } else {
        s += static_cast<char>(0xF0 | (u >> 18));
        s += static_cast<char>(0x80 | ((u >> 12) & 0x3F));
        s += static_cast<char>(0x80 | ((u >> 6) & 0x3F));
        s += static_cast<char>(0x80 | (u & 0x3F));
    }
    return s;
}

std::string printable_char(char32_t c) {
    switch (c) {
        case U'\n': return "\u23CE";  // ⏎
        case U' ': return "\u2423";   // ␣
        case U'\t': return "\u21E5";  // ⇥
        case U'\r': return "\u240D";  // ␍
        case 0x7F: return "\u2421";   // ␡
        default: break;
    }
    if (c < 0x20) return utf8_encode(static_cast<char32_t>(0x2400 + c));  // ␀ … ␟
    return utf8_encode(c);
}

namespace {

constexpr std::uint32_t kCodePoints = 0x110000;

// Decodes one UTF-8 sequence at text[pos]; returns its length (0 when the bytes are not valid UTF-8:
// overlong forms, surrogates and values above U+10FFFF are rejected) and sets `cp`.
std::size_t decode_utf8(std::string_view text, std::size_t pos, char32_t& cp) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char b0 = byte(pos);
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    std::uint32_t v = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
        v = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        v = b0 & 0x0F;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        v = b0 & 0x07;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (pos + len > text.size()) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const unsigned char b = byte(pos + k);
        if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return 0;
        v = (v << 6) | (b & 0x3Fu);
    }
    cp = static_cast<char32_t>(v);
    return len;
}

}  // namespace

std::u32string utf8_decode(std::string_view text) {
    std::u32string out;
    for (std::size_t pos = 0; pos < text.size();) {
        char32_t cp = 0;
        const std::size_t len = decode_utf8(text, pos, cp);
        NEURA_CHECK(len > 0, "byte ", pos, " (0x", "0123456789ABCDEF"[static_cast<unsigned char>(text[pos]) >> 4],
                    "0123456789ABCDEF"[static_cast<unsigned char>(text[pos]) & 0xF], ") is not valid UTF-8");
        out.push_back(cp);
        pos += len;
    }
    return out;
}

TextDataset::TextDataset(const std::filesystem::path& path, TextOptions options) : options_(options) {
    const std::string file = path.string();
    NEURA_CHECK(options_.length >= 1 && options_.length <= 1'000'000, "TextDataset(", file,
                "): length must be in [1, 1000000], got ", options_.length);
    NEURA_CHECK(options_.stride >= 1 && options_.stride <= 1'000'000, "TextDataset(", file,
                "): stride must be in [1, 1000000], got ", options_.stride);
    NEURA_CHECK(options_.max_samples >= 1 && options_.max_samples <= 1'000'000'000, "TextDataset(", file,
                "): max_samples must be in [1, 1000000000], got ", options_.max_samples);

    const std::string bytes = internal::read_file(path);
    std::string_view text(bytes);
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    NEURA_CHECK(!text.empty(), file, ": empty file (a text file is needed)");

    // Only the characters the kept samples use are stored; the vocabulary covers the whole file.
    const std::int64_t needed = (options_.max_samples - 1) * options_.stride + options_.length + 1;
    std::vector<bool> seen(kCodePoints, false);
    std::vector<char32_t> chars;
    const std::size_t skipped = bytes.size() - text.size();
    for (std::size_t pos = 0; pos < text.size();) {
        char32_t cp = 0;
        const std::size_t len = decode_utf8(text, pos, cp);
        NEURA_CHECK(len > 0, file, ": byte ", pos + skipped, " (0x", "0123456789ABCDEF"[static_cast<unsigned char>(text[pos]) >> 4],
                    "0123456789ABCDEF"[static_cast<unsigned char>(text[pos]) & 0xF],
                    ") is not valid UTF-8; the text dataset reads UTF-8 text files");
        seen[cp] = true;
        if (chars_ < needed) chars.push_back(cp);
        ++chars_;
        pos += len;
    }
    NEURA_CHECK(chars_ >= options_.length + 1, file, ": ", chars_, " characters, fewer than length + 1 = ",
                options_.length + 1, " (one sample needs length characters and the next one)");
    n_ = std::min(options_.max_samples, (chars_ - options_.length - 1) / options_.stride + 1);

    std::vector<std::int32_t> index_of(kCodePoints, -1);
    for (std::uint32_t c = 0; c < kCodePoints; ++c)
        if (seen[c]) {
            index_of[c] = static_cast<std::int32_t>(vocabulary_.size());
            vocabulary_.push_back(static_cast<char32_t>(c));
        }
    tokens_.resize(chars.size());
    for (std::size_t i = 0; i < chars.size(); ++i) tokens_[i] = index_of[chars[i]];
}

std::vector<std::string> TextDataset::class_names() const {
    std::vector<std::string> names;
    names.reserve(vocabulary_.size());
    for (char32_t c : vocabulary_) names.push_back(printable_char(c));
    return names;
}

void TextDataset::read_features(std::int64_t index, float* out) const {
    check_index(index);
    const std::int32_t* src = tokens_.data() + index * options_.stride;
    for (std::int64_t j = 0; j < options_.length; ++j) out[j] = static_cast<float>(src[j]);
}

std::optional<StepRange> TextDataset::time_steps(std::int64_t index) const {
    NEURA_CHECK(index >= 0 && index < n_, "TextDataset: sample ", index, " out of range [0, ", n_, ")");
    const std::int64_t s = index * options_.stride;
    return StepRange{s, s + options_.length};  // its characters and the one it predicts
}

std::int64_t TextDataset::label(std::int64_t index) const {
    check_index(index);
    return tokens_[static_cast<std::size_t>(index * options_.stride + options_.length)];
}

std::string TextDataset::decode(const std::vector<std::int64_t>& indices) const {
    std::string s;
    for (std::int64_t i : indices) {
        NEURA_CHECK(i >= 0 && i < num_classes(), "TextDataset::decode: index ", i, " outside the vocabulary of ",
                    num_classes(), " characters");
        s += utf8_encode(vocabulary_[static_cast<std::size_t>(i)]);
    }
    return s;
}

}  // namespace neura::data
