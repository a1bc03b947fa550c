#pragma once
// What a training run needs besides the model and the data, with a JSON form for project files.
#include <cstdint>
#include <map>
#include <string>

namespace neura::train {

struct SchedulerConfig {
    std::string type = "none";  // none, StepLR, ExponentialLR, CosineAnnealingLR
    std::int64_t step_size = 10;
    double gamma = 0.1;
    std::int64_t t_max = 0;     // CosineAnnealingLR; 0: the number of epochs
    double eta_min = 0.0;
};

struct TrainConfig {
    std::int64_t epochs = 20;
    std::int64_t batch_size = 32;
    std::string optimizer = "Adam";  // SGD, Adam, AdamW, RMSprop
    double lr = 0.01;
    double momentum = 0.0;           // SGD, RMSprop
    bool nesterov = false;           // SGD
    double weight_decay = 0.0;       // AdamW's default is applied when this is negative
    double beta1 = 0.9, beta2 = 0.999;
    SchedulerConfig scheduler;
    std::uint64_t seed = 1;          // initialization, split, shuffling and dropout all derive from it
    double val_fraction = 0.2;       // 0: no validation split
    bool normalize = true;           // standardize features with statistics of the training split
                                     // (never token indices, nor features a layer reads as indices)
    int num_workers = 0;             // DataLoader prefetch threads
    int threads = 0;                 // compute threads for this run; 0: automatic (1 for small models)
    std::string device = "cpu";

    // Throws neura::Error naming the field for a bad value (unknown optimizer, epochs < 1, ...).
    void validate() const;
    std::string to_json() const;
    // Missing fields keep their defaults; wrong types or unknown optimizers throw, naming the field.
    static TrainConfig from_json(const std::string& text);
};

}  // namespace neura::train
