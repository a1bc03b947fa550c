#pragma once
// JSON that comes from outside (a file, the clipboard, the command line) is parsed with a bounded nesting
// depth: nlohmann's parser is iterative, but dump(), comparison and copies recurse, so a document nested
// 100,000 deep would overflow the stack later, far from where it was read. Include only where
// nlohmann_json is linked (the engine and the studio).
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "neura/core/Error.h"

namespace neura {

// The deepest nesting any NeuraStudio JSON text may have (a model nests 5 levels, a layout a few more).
inline constexpr int kMaxJsonDepth = 64;

// Parses `text`, or returns nothing and says why in `*why` (when given): not JSON, or nested deeper than
// `max_depth` levels.
template <class Json = nlohmann::json>
std::optional<Json> try_parse_json(std::string_view text, std::string* why = nullptr, int max_depth = kMaxJsonDepth) {
    bool too_deep = false;
    typename Json::parser_callback_t bound = [&](int depth, typename Json::parse_event_t, Json&) {
        if (depth > max_depth) too_deep = true;
        return !too_deep;  // once too deep, keep nothing: the result is thrown away below
    };
    Json j = Json::parse(text.begin(), text.end(), bound, /*allow_exceptions=*/false);
    if (too_deep) {
        if (why) *why = detail::concat("it nests deeper than ", max_depth, " levels, the most NeuraStudio reads");
        return std::nullopt;
    }
    if (j.is_discarded()) {
        if (why) {
            // Parse again with exceptions for the position and reason (the text is known to be shallow).
            try {
                [[maybe_unused]] const Json again = Json::parse(text.begin(), text.end());
                *why = "it is not valid JSON";
            } catch (const typename Json::exception& e) {  // parse_error, or out_of_range: a number too big
                std::string what = e.what();
                if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
                *why = what;
            }
        }
        return std::nullopt;
    }
    return j;
}

// Parses `text` or throws neura::Error "<what> is not valid JSON: <why>".
template <class Json = nlohmann::json>
Json parse_json(std::string_view text, const std::string& what, int max_depth = kMaxJsonDepth) {
    std::string why;
    std::optional<Json> j = try_parse_json<Json>(text, &why, max_depth);
    if (!j) throw Error(what + " is not valid JSON: " + why);
    return std::move(*j);
}

}  // namespace neura
