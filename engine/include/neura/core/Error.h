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

// Kinds a caller may tell apart (the Python module maps them to ValueError and TypeError, as PyTorch's
// c10::ValueError and c10::TypeError): shapes that do not fit an op, and dtypes an op does not take.
class ShapeError : public Error {
public:
    using Error::Error;
};
class TypeError : public Error {
public:
    using Error::Error;
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
// The same, throwing neura::ShapeError / neura::TypeError.
#define NEURA_CHECK_SHAPE(cond, ...)                                                  \
    do {                                                                              \
        if (!(cond)) throw ::neura::ShapeError(::neura::detail::concat(__VA_ARGS__)); \
    } while (0)
#define NEURA_CHECK_TYPE(cond, ...)                                                  \
    do {                                                                             \
        if (!(cond)) throw ::neura::TypeError(::neura::detail::concat(__VA_ARGS__)); \
    } while (0)
