#pragma once
#include <cstdint>
#include <string>

namespace neura {

enum class DeviceType : std::uint8_t { CPU = 0, CUDA = 1 };
constexpr int kNumDeviceTypes = 2;

struct Device {
    DeviceType type = DeviceType::CPU;
    int index = 0;

    static Device cpu() { return {}; }
    static Device cuda(int i = 0) { return {DeviceType::CUDA, i}; }
    // Parses "cpu", "cuda", "cuda:1".
    static Device parse(const std::string& text);
    std::string str() const;
    bool operator==(const Device&) const = default;
};

}  // namespace neura
