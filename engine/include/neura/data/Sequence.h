#pragma once
// Sequence datasets: windows of a time series (regression) and of a text (next-character
// classification). A sample's features are [T, F] (or [T] for token indices); a batch stacks them to
// [B, T, F] / [B, T].
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "neura/data/Dataset.h"

namespace neura::data {

// ---------------------------------------------------------------- sine-forecast

// The series behind sine_forecast: x(t) = Σ_k a_k·sin(2π·f_k·t + φ_k) + noise·N(0,1), t = 0, 1, …,
// `steps` values. For k = 0..waves-1 the seed draws, in this order, a_k uniform in [0.2, 1),
// f_k uniform in [1/64, 1/8) cycles per step (periods of 8 to 64 steps) and φ_k uniform in [0, 2π);
// then one normal draw per t. The noise draws come after every wave's draws, so the same seed with
// another noise gives the same sines.
std::vector<double> sine_forecast_series(std::int64_t steps, std::int64_t waves = 3, double noise = 0.05,
                                         std::uint64_t seed = 0);

// Forecasting windows of one series of n + length + horizon - 1 values (sine_forecast_series):
// sample i has features x(i .. i+length-1) as [length, 1] and target x(i+length .. i+length+horizon-1)
// as F32 [horizon]. Samples are in time order (not shuffled), so sample i+1's window is sample i's
// shifted by one step; time_steps(i) is i .. i+length+horizon-1, so the train/validation split keeps the
// validation windows at the series' end with none of their values in training (data/Split.h). Throws neura::Error for n, length, horizon, waves < 1, noise < 0 or not finite,
// or more than 50 million feature values in all.
std::shared_ptr<TensorDataset> sine_forecast(std::int64_t n_samples = 1000, std::int64_t length = 32,
                                             std::int64_t horizon = 1, std::int64_t waves = 3, double noise = 0.05,
                                             std::uint64_t seed = 0);

// ---------------------------------------------------------------- csv-series

struct CsvSeriesOptions {
    // The input columns: header names or 0-based indices (negative counts from the end). Empty:
    // every column whose first data cell is a number (a date or time column is left out).
    std::vector<std::string> columns = {};
    // The columns to forecast, named the same way. Empty: the input columns.
    std::vector<std::string> targets = {};
    std::int64_t window = 24;   // input time steps per sample, T
    std::int64_t horizon = 1;   // future steps to predict
    std::int64_t stride = 1;    // rows between the starts of consecutive samples
};

// Forecasting windows over a time series in a CSV file: one row per time step, in file order, read
// by the CSV reader (read_csv_table: delimiter and header detected as read_csv does). With F input
// columns and K target columns, sample i starts at row s = i·stride: its features are rows
// s .. s+window-1 of the input columns, [window, F]; its target is rows s+window .. s+window+horizon-1
// of the target columns, F32 [horizon·K], step by step (target[h·K + k] is target column k at row
// s+window+h), which is sine-forecast's [horizon] for one column. There are
// (rows - window - horizon) / stride + 1 samples, in time order, and time_steps(i) is
// [s, s+window+horizon-1], so train_val_split keeps validation to the last samples. Values are as in
// the file (the Experiment standardizes the features with the training part's statistics).
//
// Errors (neura::Error naming the file, never a crash): the CSV reader's (missing or unreadable
// file, ragged rows, ...), a named column that does not exist or is named twice, no numeric column,
// a cell of a used column that is not a number (with its line), window, horizon or stride outside
// [1, 1000000], or a series with fewer than window + horizon rows.
class CsvSeriesDataset : public Dataset {
public:
    CsvSeriesDataset(const std::filesystem::path& path, CsvSeriesOptions options = {});

    std::int64_t size() const override { return n_; }
    Shape feature_shape() const override { return {options_.window, static_cast<std::int64_t>(feature_cols_.size())}; }
    Task task() const override { return Task::Regression; }
    std::int64_t target_dim() const override {
        return options_.horizon * static_cast<std::int64_t>(target_cols_.size());
    }
    std::optional<StepRange> time_steps(std::int64_t index) const override;
    void read_features(std::int64_t index, float* out) const override;
    void read_target(std::int64_t index, float* out) const override;

    const CsvSeriesOptions& options() const { return options_; }
    std::int64_t rows() const { return rows_; }  // time steps in the file
    const std::vector<std::string>& feature_names() const { return feature_names_; }
    const std::vector<std::string>& target_names() const { return target_names_; }

private:
    CsvSeriesOptions options_;
    std::int64_t rows_ = 0;
    std::int64_t n_ = 0;
    std::int64_t width_ = 0;                  // values stored per row: the used columns
    std::vector<float> values_;              // [rows_, width_]
    std::vector<std::int64_t> feature_cols_;  // positions in a stored row
    std::vector<std::int64_t> target_cols_;
    std::vector<std::string> feature_names_;
    std::vector<std::string> target_names_;
};

// "a+b+c" → {"a", "b", "c"} (trimmed): how the csv-series parameters list columns ("" → none).
std::vector<std::string> split_column_list(std::string_view list);

// ---------------------------------------------------------------- token tasks

// Sequence-to-sequence token tasks that attention learns and a recurrent network finds hard: sample i
// holds `length` tokens drawn uniformly from [0, vocab) (the seed draws sample 0's tokens first, in
// order, then sample 1's, ...), as F32 [length] token indices for an Embedding; its targets are a
// class per step, I64 [length]: the same tokens (copy), the tokens in reverse order (reverse), or
// the tokens sorted ascending (sort). Throws neura::Error for n, length < 1, vocab < 2, or more than
// 50 million tokens in all.
// With 1 <= min_length < length the sequences have variable lengths: sample i first draws its length
// L uniformly from [min_length, length], then its L tokens; the task applies to those L tokens, and
// steps L.. are padding: the token `vocab` (so an Embedding needs vocab + 1 rows) with label
// kIgnoreLabel. min_length 0 (or = length): every sample is `length` tokens, drawn as before.
enum class TokenTask : std::uint8_t { Copy, Reverse, Sort };
const char* token_task_name(TokenTask task);  // "copy", "reverse", "sort"

class TokenTaskDataset : public TensorDataset {
public:
    TokenTaskDataset(TokenTask task, std::int64_t n_samples = 5000, std::int64_t length = 8, std::int64_t vocab = 10,
                     std::uint64_t seed = 0, std::int64_t min_length = 0);
    bool token_features() const override { return true; }
    bool variable_length() const override { return !lengths_.empty(); }
    std::int64_t sequence_length(std::int64_t index) const override;
    TokenTask token_task() const { return task_; }

private:
    struct Tokens {
        Tensor features, targets;
        std::vector<std::int64_t> lengths;  // empty: all full length
    };
    static Tokens make_tokens(TokenTask task, std::int64_t n, std::int64_t length, std::int64_t vocab, std::uint64_t seed,
                              std::int64_t min_length);
    TokenTaskDataset(TokenTask task, Tokens tokens, std::int64_t vocab);
    TokenTask task_;
    std::vector<std::int64_t> lengths_;
};

// ---------------------------------------------------------------- text

struct TextOptions {
    std::int64_t length = 64;        // characters per sample (the context)
    std::int64_t stride = 3;         // characters between the starts of consecutive samples
    std::int64_t max_samples = 20000;  // the samples kept: the first max_samples windows
};

// Character-level language modelling as next-character classification. The file (UTF-8, plain or
// gzip; a leading byte-order mark is skipped) is decoded to Unicode code points; the vocabulary is
// the distinct code points of the whole file, sorted, and class c is vocabulary()[c]. Sample i
// starts at character s = i·stride: its features are the vocabulary indices of characters
// s .. s+length-1, as F32 [length] holding exact integers (an Embedding node's Indices port turns
// them into I64), and its label is the index of character s+length. There are
// min(max_samples, (chars - length - 1) / stride + 1) samples.
//
// Errors (neura::Error naming the file, never a crash): a missing or unreadable file, one that
// decompresses to more than 2 GiB, an empty file, bytes that are not UTF-8 (with their byte offset),
// or fewer than length + 1 characters.
class TextDataset : public Dataset {
public:
    TextDataset(const std::filesystem::path& path, TextOptions options = {});

    std::int64_t size() const override { return n_; }
    Shape feature_shape() const override { return {options_.length}; }
    Task task() const override { return Task::Classification; }
    std::int64_t num_classes() const override { return static_cast<std::int64_t>(vocabulary_.size()); }
    // The characters in printable form: each as UTF-8, except '\n' → "⏎" (U+23CE), ' ' → "␣" (U+2423),
    // '\t' → "⇥" (U+21E5), '\r' → "␍" (U+240D), other C0 controls → U+2400 + code ("␀"…), DEL → "␡".
    std::vector<std::string> class_names() const override;
    bool token_features() const override { return true; }
    void read_features(std::int64_t index, float* out) const override;
    std::int64_t label(std::int64_t index) const override;
    // Sample i reads characters i·stride .. i·stride + length: the split keeps the validation samples at the
    // text's tail, and no character a validation sample reads is in a training sample (data/Split.h).
    std::optional<StepRange> time_steps(std::int64_t index) const override;

    const TextOptions& options() const { return options_; }
    const std::vector<char32_t>& vocabulary() const { return vocabulary_; }  // sorted code points
    std::int64_t characters() const { return chars_; }                         // in the whole file
    // The characters of vocabulary indices as UTF-8 (the text itself, not the printable names).
    std::string decode(const std::vector<std::int64_t>& indices) const;

private:
    TextOptions options_;
    std::vector<char32_t> vocabulary_;
    std::vector<std::int32_t> tokens_;  // vocabulary indices of the characters the samples use
    std::int64_t chars_ = 0;
    std::int64_t n_ = 0;
};

// A character's printable name, as TextDataset::class_names gives it.
std::string printable_char(char32_t c);
// c as UTF-8 (c a Unicode scalar value).
std::string utf8_encode(char32_t c);
// UTF-8 text as code points, by the reader TextDataset uses: throws neura::Error naming the byte
// offset of the first bytes that are not UTF-8 ("byte 3 (0xFF) is not valid UTF-8").
std::u32string utf8_decode(std::string_view text);

}  // namespace neura::data
