#pragma once
// Every engine failure is a neura::Error whose message names the op and the shapes involved.
#include <sstream>
#include <stdexcept>
#include <string>

namespace neura {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
template <class... Args>
std::string concat(const Args&... args) {
    std::ostringstream os;
    (os << ... << args);
    return os.str();
}
}  // namespace detail

}  // namespace neura

// Throws neura::Error with the streamed message parts when cond is false; parts are built only then.
#define NEURA_CHECK(cond, ...)                                                   \
    do {                                                                         \
        if (!(cond)) throw ::neura::Error(::neura::detail::concat(__VA_ARGS__)); \
    } while (0)
