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

// Throws neura::Error when `d` cannot be used: "device cuda:0 is not available: <why>" (the build has no
// CUDA backend, no GPU or driver, no device of that index). The CPU is always available.
void check_device(Device d);

}  // namespace neura
