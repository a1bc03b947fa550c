#include "neura/train/TrainConfig.h"

#include <nlohmann/json.hpp>

#include "neura/core/Device.h"
#include "neura/core/Error.h"
#include "neura/core/JsonText.h"

namespace neura::train {

using nlohmann::json;

void TrainConfig::validate() const {
    NEURA_CHECK(epochs >= 1, "training config: epochs must be at least 1, got ", epochs);
    NEURA_CHECK(batch_size >= 1, "training config: batch_size must be at least 1, got ", batch_size);
    NEURA_CHECK(optimizer == "SGD" || optimizer == "Adam" || optimizer == "AdamW" || optimizer == "RMSprop",
                "training config: unknown optimizer '", optimizer, "' (expected SGD, Adam, AdamW or RMSprop)");
    NEURA_CHECK(lr > 0.0, "training config: lr must be positive, got ", lr);
    NEURA_CHECK(val_fraction >= 0.0 && val_fraction < 1.0, "training config: val_fraction must be in [0, 1), got ",
                val_fraction);
    NEURA_CHECK(num_workers >= 0 && num_workers <= 16, "training config: num_workers must be 0..16, got ", num_workers);
    NEURA_CHECK(threads >= 0 && threads <= 256, "training config: threads must be 0 (automatic) to 256, got ", threads);
    try {
        Device::parse(device);
    } catch (const Error& e) {
        throw Error(std::string("training config: ") + e.what());
    }
    const auto& s = scheduler.type;
    NEURA_CHECK(s == "none" || s == "StepLR" || s == "ExponentialLR" || s == "CosineAnnealingLR",
                "training config: unknown scheduler '", s, "' (expected none, StepLR, ExponentialLR or CosineAnnealingLR)");
}

std::string TrainConfig::to_json() const {
    json j = {{"epochs", epochs},
              {"batch_size", batch_size},
              {"optimizer", optimizer},
              {"lr", lr},
              {"momentum", momentum},
              {"nesterov", nesterov},
              {"weight_decay", weight_decay},
              {"betas", {beta1, beta2}},
              {"scheduler",
               {{"type", scheduler.type},
                {"step_size", scheduler.step_size},
                {"gamma", scheduler.gamma},
                {"T_max", scheduler.t_max},
                {"eta_min", scheduler.eta_min}}},
              {"seed", seed},
              {"val_fraction", val_fraction},
              {"normalize", normalize},
              {"num_workers", num_workers},
              {"threads", threads},
              {"device", device}};
    return j.dump(2);
}

namespace {
template <class T>
void read(const json& j, const char* key, T& out, const std::string& path) {
    if (!j.contains(key)) return;
    try {
        out = j.at(key).get<T>();
    } catch (const json::exception&) {
        throw Error("training config: " + path + key + " has the wrong type (" + j.at(key).dump() + ")");
    }
}
}  // namespace

TrainConfig TrainConfig::from_json(const std::string& text) {
    TrainConfig c;
    if (text.empty()) return c;
    json j = parse_json<json>(text, "training config");
    NEURA_CHECK(j.is_object(), "training config: expected a JSON object");
    read(j, "epochs", c.epochs, "");
    read(j, "batch_size", c.batch_size, "");
    read(j, "optimizer", c.optimizer, "");
    read(j, "lr", c.lr, "");
    read(j, "momentum", c.momentum, "");
    read(j, "nesterov", c.nesterov, "");
    read(j, "weight_decay", c.weight_decay, "");
    if (j.contains("betas")) {
        const auto& b = j["betas"];
        NEURA_CHECK(b.is_array() && b.size() == 2 && b[0].is_number() && b[1].is_number(),
                    "training config: betas must be two numbers");
        c.beta1 = b[0].get<double>();
        c.beta2 = b[1].get<double>();
    }
    if (j.contains("scheduler")) {
        const auto& s = j["scheduler"];
        NEURA_CHECK(s.is_object(), "training config: scheduler must be an object");
        read(s, "type", c.scheduler.type, "scheduler.");
        read(s, "step_size", c.scheduler.step_size, "scheduler.");
        read(s, "gamma", c.scheduler.gamma, "scheduler.");
        read(s, "T_max", c.scheduler.t_max, "scheduler.");
        read(s, "eta_min", c.scheduler.eta_min, "scheduler.");
    }
    read(j, "seed", c.seed, "");
    read(j, "val_fraction", c.val_fraction, "");
    read(j, "normalize", c.normalize, "");
    read(j, "num_workers", c.num_workers, "");
    read(j, "threads", c.threads, "");
    read(j, "device", c.device, "");
    c.validate();
    return c;
}

}  // namespace neura::train
