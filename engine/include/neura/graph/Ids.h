#pragma once
// NodeId, PortIndex, EdgeId: small value types crossing the engine/GUI boundary instead of pointers.
// Default-constructed ids are Invalid; ids of a ModelGraph are never reused while it lives.
#include <compare>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>

namespace neura::graph {

template <class Tag>
struct ValueId {
    using Rep = std::uint32_t;
    static constexpr Rep kInvalidValue = std::numeric_limits<Rep>::max();
    static const ValueId Invalid;

    Rep value = kInvalidValue;

    constexpr ValueId() = default;
    constexpr explicit ValueId(Rep v) : value(v) {}
    constexpr bool valid() const { return value != kInvalidValue; }
    friend constexpr auto operator<=>(ValueId, ValueId) = default;
    friend constexpr bool operator==(ValueId, ValueId) = default;
};

template <class Tag>
inline constexpr ValueId<Tag> ValueId<Tag>::Invalid{};

struct NodeTag;
struct PortTag;
struct EdgeTag;
using NodeId = ValueId<NodeTag>;
using PortIndex = ValueId<PortTag>;  // 0-based within a node's inputs or outputs
using EdgeId = ValueId<EdgeTag>;

template <class Tag>
std::string to_string(ValueId<Tag> id) {
    return id.valid() ? std::to_string(id.value) : std::string("invalid");
}

}  // namespace neura::graph

template <class Tag>
struct std::hash<neura::graph::ValueId<Tag>> {
    std::size_t operator()(neura::graph::ValueId<Tag> id) const noexcept { return std::hash<std::uint32_t>{}(id.value); }
};
