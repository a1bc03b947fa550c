#include "neura/core/Device.h"

#include <string>

#include "neura/core/Error.h"

namespace neura {

Device Device::parse(const std::string& text) {
    if (text == "cpu") return cpu();
    if (text == "cuda") return cuda(0);
    if (text.rfind("cuda:", 0) == 0) {
        const std::string idx = text.substr(5);
        NEURA_CHECK(!idx.empty() && idx.find_first_not_of("0123456789") == std::string::npos,
                    "bad device '", text, "': expected cpu, cuda or cuda:N");
        NEURA_CHECK(idx.size() <= 4, "bad device '", text, "': the device index is out of range");
        return cuda(std::stoi(idx));
    }
    throw Error("bad device '" + text + "': expected cpu, cuda or cuda:N");
}

std::string Device::str() const {
    return type == DeviceType::CPU ? std::string("cpu") : "cuda:" + std::to_string(index);
}

}  // namespace neura
