#pragma once
// Text generation with a character-level language model: a model trained on the `text` dataset
// (features: the vocabulary indices of a window of characters; output: one logit per vocabulary
// character) continues a prompt one character at a time, its window sliding over what it wrote.
// `neura generate` and the studio's Text panel both call generate_text(); nothing here knows of Qt.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "neura/project/Project.h"
#include "neura/train/TrainedModel.h"
#include "neura/train/Trainer.h"

namespace neura::train {

struct GenerateOptions {
    std::string prompt;          // UTF-8; every character must be in the vocabulary
    double temperature = 1.0;    // > 0: sample from softmax(logits / T); 0: greedy (argmax, the first of ties)
    std::int64_t top_k = 0;      // > 0: sample among the k most likely characters only; 0: all
    double top_p = 1.0;          // in (0, 1]: among the fewest most likely whose probabilities reach p (nucleus)
    std::int64_t length = 200;   // characters to generate, 0 .. kMaxGenerateLength
    std::uint64_t seed = 0;      // the same model, prompt, temperature and seed give the same text
};

inline constexpr std::int64_t kMaxGenerateLength = 1'000'000;

struct GenerateCallbacks {
    // Each new character as UTF-8, as soon as it is chosen (called on the generating thread).
    std::function<void(const std::string& character)> on_char;
};

struct GenerateResult {
    std::string prompt;                 // as given
    std::string generated;              // the new characters only, UTF-8
    std::vector<std::int64_t> tokens;   // their vocabulary indices
    bool stopped = false;               // a stop request ended it early; `generated` holds what was made
    std::string text() const { return prompt + generated; }
};

// A model ready to generate: a project's trained model and the vocabulary of its text dataset
// (class c is vocabulary[c], as data::TextDataset builds it from the same file).
struct TextModel {
    TrainedModel model;
    std::vector<char32_t> vocabulary;
};

// Builds the project's text dataset (for its vocabulary) and its model with the trained weights
// (TextModel::model.trained says whether it had any), and checks that they fit together (see
// check_text_model). Throws neura::Error in words when the project's dataset is not `text`, the text
// file cannot be read, the weights do not match the model, or the model does not fit the vocabulary.
TextModel load_text_model(const project::Project& project);

// Throws neura::Error unless the model takes [length] character indices and gives one value per
// vocabulary character: "the model's output has 10 values per sample but the text's vocabulary has
// 65 characters; ...".
void check_text_model(const graph::Network& network, const std::vector<char32_t>& vocabulary);

// The prompt's vocabulary indices. Throws neura::Error naming every character (the first 20 distinct)
// that is not in the vocabulary, or the first bytes that are not UTF-8.
std::vector<std::int64_t> encode_prompt(const std::string& prompt, const std::vector<char32_t>& vocabulary);

// The distribution a character is drawn from: softmax(logits / temperature), then only the top_k most
// likely (0: all), then only the fewest most likely whose probabilities sum to at least top_p (ties in
// index order), renormalized; zeros elsewhere. Temperature 0: all weight on the argmax (the first of
// ties). Throws neura::Error for options out of range.
std::vector<double> sampling_distribution(const std::vector<double>& logits, double temperature, std::int64_t top_k = 0,
                                          double top_p = 1.0);

// Generates options.length characters after the prompt. The model's window of T characters is the
// last T of prompt + generated text; while there are fewer, it is left-padded with '\n' (the start of
// a line) when the vocabulary has it, else ' ', else vocabulary[0]. Each step runs the model in eval
// mode without autograd on that window and picks the next character from sampling_distribution() with
// a Generator seeded with options.seed (one uniform draw per character), or the argmax for T = 0.
// `stop` is asked before every character. Throws neura::Error for a temperature < 0 or not finite, a
// length out of range, unknown prompt characters, a model that does not fit (check_text_model), or
// logits that are NaN or infinite.
GenerateResult generate_text(TrainedModel& model, const std::vector<char32_t>& vocabulary,
                             const GenerateOptions& options, const GenerateCallbacks& callbacks = {},
                             const StopToken* stop = nullptr);
inline GenerateResult generate_text(TextModel& m, const GenerateOptions& options,
                                    const GenerateCallbacks& callbacks = {}, const StopToken* stop = nullptr) {
    return generate_text(m.model, m.vocabulary, options, callbacks, stop);
}

}  // namespace neura::train
