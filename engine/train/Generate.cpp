#include "neura/train/Generate.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "neura/autograd/GradMode.h"
#include "neura/core/Error.h"
#include "neura/core/Generator.h"
#include "neura/data/DatasetRegistry.h"
#include "neura/data/Sequence.h"
#include "neura/train/Experiment.h"
#include "backend/cpu/ThreadScope.h"

namespace neura::train {

namespace {

// "'é' (U+00E9)"
std::string describe_char(char32_t c) {
    char code[16];
    std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(c));
    return "'" + data::printable_char(c) + "' (" + code + ")";
}

std::int64_t index_in(const std::vector<char32_t>& vocabulary, char32_t c) {
    const auto it = std::lower_bound(vocabulary.begin(), vocabulary.end(), c);
    if (it == vocabulary.end() || *it != c) return -1;
    return it - vocabulary.begin();
}

// What fills the window before the prompt: the start of a line, as a text's first window would see.
std::int64_t padding_index(const std::vector<char32_t>& vocabulary) {
    for (char32_t c : {U'\n', U' '})
        if (const auto i = index_in(vocabulary, c); i >= 0) return i;
    return 0;
}

}  // namespace

void check_text_model(const graph::Network& network, const std::vector<char32_t>& vocabulary) {
    NEURA_CHECK(!vocabulary.empty(), "the text's vocabulary is empty");
    NEURA_CHECK(std::is_sorted(vocabulary.begin(), vocabulary.end()), "the vocabulary is not sorted");
    const Shape& in = network.input_shape();
    NEURA_CHECK(in.size() == 1 && in[0] >= 1, "the model's Input takes samples of shape ", shape_str(in),
                "; text generation needs an Input of shape [length] (a window of character indices, as the "
                "text dataset gives)");
    const Shape& out = network.output_shape();
    const auto v = static_cast<std::int64_t>(vocabulary.size());
    NEURA_CHECK(out.size() == 1, "the model's output has shape ", shape_str(out),
                " per sample; text generation needs one value per vocabulary character, [", v, "]");
    NEURA_CHECK(out[0] == v, "the model's output has ", out[0], " values per sample but the text's vocabulary has ", v,
                " characters; the layer before the Loss must give ", v, " (a Linear with out_features ", v, ")");
}

std::vector<std::int64_t> encode_prompt(const std::string& prompt, const std::vector<char32_t>& vocabulary) {
    std::u32string chars;
    try {
        chars = data::utf8_decode(prompt);
    } catch (const Error& e) {
        throw Error(std::string("the prompt is not UTF-8 text: ") + e.what());
    }
    std::vector<std::int64_t> out;
    out.reserve(chars.size());
    std::vector<char32_t> unknown;  // distinct, in the order they appear
    for (char32_t c : chars) {
        const std::int64_t i = index_in(vocabulary, c);
        if (i < 0 && std::find(unknown.begin(), unknown.end(), c) == unknown.end()) unknown.push_back(c);
        out.push_back(i);
    }
    if (!unknown.empty()) {
        std::string list;
        for (std::size_t k = 0; k < std::min<std::size_t>(unknown.size(), 20); ++k)
            list += (k ? ", " : "") + describe_char(unknown[k]);
        if (unknown.size() > 20) list += " and " + std::to_string(unknown.size() - 20) + " more";
        throw Error(neura::detail::concat(unknown.size() == 1 ? "the prompt has a character" : "the prompt has characters",
                                         " that the text's vocabulary (", vocabulary.size(),
                                         " characters) does not have: ", list));
    }
    return out;
}

namespace {
void check_sampling(double temperature, std::int64_t top_k, double top_p) {
    NEURA_CHECK(std::isfinite(temperature) && temperature >= 0, "the temperature must be a number >= 0 (0 picks the "
                "most likely character every time), got ", temperature);
    NEURA_CHECK(top_k >= 0, "top-k must be 0 (all characters) or more, got ", top_k);
    NEURA_CHECK(top_p > 0 && top_p <= 1, "top-p must be in (0, 1] (1: all characters), got ", top_p);
}
}  // namespace

std::vector<double> sampling_distribution(const std::vector<double>& logits, double temperature, std::int64_t top_k,
                                          double top_p) {
    check_sampling(temperature, top_k, top_p);
    const std::size_t v = logits.size();
    NEURA_CHECK(v > 0, "there are no logits to sample from");
    std::vector<double> p(v, 0.0);
    const auto best = static_cast<std::size_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    if (temperature == 0) {
        p[best] = 1.0;
        return p;
    }
    // softmax((l - max) / T): the same distribution as softmax(l / T), without overflow for a tiny T.
    double total = 0.0;
    for (std::size_t k = 0; k < v; ++k) total += p[k] = std::exp((logits[k] - logits[best]) / temperature);
    for (double& x : p) x /= total;
    if (top_k == 0 && top_p >= 1.0) return p;
    std::vector<std::size_t> order(v);
    for (std::size_t k = 0; k < v; ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] > p[b]; });
    std::size_t keep = top_k > 0 ? std::min(v, static_cast<std::size_t>(top_k)) : v;
    double reached = 0.0;
    for (std::size_t r = 0; r < keep; ++r) {
        reached += p[order[r]];
        if (reached >= top_p) keep = r + 1;  // the nucleus: the fewest that reach top_p
    }
    std::vector<double> kept(v, 0.0);
    double sum = 0.0;
    for (std::size_t r = 0; r < keep; ++r) sum += kept[order[r]] = p[order[r]];
    for (double& x : kept) x /= sum;
    return kept;
}

GenerateResult generate_text(TrainedModel& model, const std::vector<char32_t>& vocabulary,
                             const GenerateOptions& options, const GenerateCallbacks& callbacks,
                             const StopToken* stop) {
    const double temperature = options.temperature;
    check_sampling(temperature, options.top_k, options.top_p);
    NEURA_CHECK(options.length >= 0 && options.length <= kMaxGenerateLength, "the length must be in [0, ",
                kMaxGenerateLength, "] characters, got ", options.length);
    check_text_model(model.network, vocabulary);
    GenerateResult result;
    result.prompt = options.prompt;
    const std::vector<std::int64_t> prompt = encode_prompt(options.prompt, vocabulary);

    const auto window = model.network.input_shape()[0];
    const auto v = static_cast<std::int64_t>(vocabulary.size());
    // The last `window` characters of prompt + generated text, left-padded.
    std::vector<std::int64_t> context(static_cast<std::size_t>(window), padding_index(vocabulary));
    auto push = [&](std::int64_t token) {
        std::rotate(context.begin(), context.begin() + 1, context.end());
        context.back() = token;
    };
    for (std::size_t k = prompt.size() > context.size() ? prompt.size() - context.size() : 0; k < prompt.size(); ++k)
        push(prompt[k]);

    cpu::ThreadScope one_thread(1);  // one row per forward: too small for a parallel region
    NoGradGuard no_grad;
    model.network.eval();
    Generator gen(options.seed);
    std::vector<float> features(context.size());
    std::vector<double> weights(static_cast<std::size_t>(v));
    for (std::int64_t step = 0; step < options.length; ++step) {
        if (stop && stop->stop_requested()) {
            result.stopped = true;
            break;
        }
        for (std::size_t k = 0; k < context.size(); ++k) features[k] = static_cast<float>(context[k]);
        const Tensor logits_t = model.predict(Tensor::from_vector(features, {1, window}));
        const std::vector<double> logits = logits_t.to_vector<double>();
        NEURA_CHECK(static_cast<std::int64_t>(logits.size()) == v, "the model gave ", logits.size(),
                    " values for one window; the vocabulary has ", v, " characters");
        for (std::int64_t i = 0; i < v; ++i)
            NEURA_CHECK(std::isfinite(logits[static_cast<std::size_t>(i)]), "the model's output for character ",
                        step + 1, " holds ", logits[static_cast<std::size_t>(i)], " (at vocabulary index ", i,
                        "): there is nothing to sample from");
        // argmax: the first of equal maxima, as torch.argmax.
        const auto best = std::max_element(logits.begin(), logits.end()) - logits.begin();
        std::int64_t next = best;
        if (temperature > 0) {
            weights = sampling_distribution(logits, temperature, options.top_k, options.top_p);
            const double u = gen.uniform();
            double cumulative = 0.0;
            next = -1;
            for (std::int64_t i = 0; i < v && next < 0; ++i) {
                cumulative += weights[static_cast<std::size_t>(i)];
                if (u < cumulative) next = i;
            }
            if (next < 0) next = best;  // u rounded up to the total
        }
        push(next);
        result.tokens.push_back(next);
        const std::string character = data::utf8_encode(vocabulary[static_cast<std::size_t>(next)]);
        result.generated += character;
        if (callbacks.on_char) callbacks.on_char(character);
    }
    return result;
}

TextModel load_text_model(const project::Project& project) {
    NEURA_CHECK(!project.dataset_json.empty(), "the project names no dataset; text generation needs a model trained "
                "on the 'text' dataset");
    const DatasetSpec spec = DatasetSpec::from_json(project.dataset_json);
    NEURA_CHECK(spec.name == "text", "the project's dataset is '", spec.name, "', not 'text': text generation needs a "
                "character model trained on the 'text' dataset");
    const data::DatasetPtr dataset = data::make_dataset(spec.name, spec.params);
    const auto* text = dynamic_cast<const data::TextDataset*>(dataset.get());
    NEURA_CHECK(text, "the 'text' dataset did not give a text dataset");
    TextModel m{load_trained_model(project), text->vocabulary()};
    check_text_model(m.model.network, m.vocabulary);
    return m;
}

}  // namespace neura::train
