#pragma once
// Optimizer: the base of SGD, Adam, AdamW and RMSprop, as torch.optim.Optimizer with one parameter group.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "neura/core/Tensor.h"

namespace neura::optim {

// Everything needed to resume an optimizer, in a form a project file can store: hyper-parameters and
// per-parameter step counts as numbers (JSON-able; booleans are 0/1), buffers as named tensors.
// Keys: "lr", "momentum", ..., "num_params", "param.<i>.step"; tensors "param.<i>.<buffer>", e.g.
// "param.3.exp_avg" (PyTorch's state names). Parameters are identified by their position in params().
struct OptimizerState {
    std::string type;                                      // type_name() of the optimizer that wrote it
    std::map<std::string, double> scalars;
    std::vector<std::pair<std::string, Tensor>> tensors;  // snapshots (copies), not the live buffers
};

class Optimizer {
public:
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    virtual std::string type_name() const = 0;  // "SGD", "Adam", "AdamW", "RMSprop"
    // One update of every parameter that has a gradient; parameters without one are skipped, as in
    // PyTorch. Runs without recording gradients. When the parameters are consecutive views of one buffer
    // and so are their gradients (a Network's flat parameters, neura/plan/TrainingPlan.h), with one step
    // count, the update runs once over the whole span (one fused pass; the state buffers are then views of
    // flat ones, so state() and load_state() see them per parameter as before). Element for element this
    // is the same update.
    void step();
    // Whether the last step() ran as one pass over flat parameters.
    bool last_step_was_flat() const { return last_flat_; }
    // Drops every parameter's gradient (PyTorch's zero_grad(set_to_none=True)).
    void zero_grad();

    double lr() const { return lr_ref(); }
    void set_lr(double lr);  // for schedulers
    const std::vector<Tensor>& params() const { return params_; }
    std::int64_t step_count(std::size_t param) const { return states_.at(param).step; }

    OptimizerState state() const;
    // Restores what state() exported. The type, the number of parameters and every buffer's shape must
    // match; buffers are converted to their parameter's dtype and device. Throws neura::Error otherwise.
    void load_state(const OptimizerState& s);

protected:
    struct ParamState {
        std::int64_t step = 0;
        std::vector<Tensor> buffers;  // indexed as buffer_names(); undefined until used
    };

    Optimizer(std::vector<Tensor> params, std::vector<std::string> buffer_names);
    virtual double& lr_ref() = 0;  // the options' lr field
    virtual const double& lr_ref() const = 0;
    virtual std::vector<std::pair<std::string, double>> hyperparameters() const = 0;  // lr included
    virtual bool set_hyperparameter(const std::string& name, double value) = 0;  // false: unknown name
    virtual void validate() const = 0;  // throws on out-of-range hyper-parameters
    // Updates parameter p (its gradient g is defined, same shape; the step counter already advanced). p is
    // one of params(), or the flat span of all of them (see step()).
    virtual void update(const Tensor& p, const Tensor& g, ParamState& s) = 0;

    // The i-th buffer of s, created as zeros shaped like param on first use.
    Tensor& buffer(ParamState& s, std::size_t index, const Tensor& param);

    std::vector<Tensor> params_;
    std::vector<ParamState> states_;

private:
    bool step_flat();  // false: the per-parameter loop runs instead

    std::vector<std::string> buffer_names_;
    // The flat span's state: `flat_param_` the view of all parameters it was made for, its buffers those
    // the per-parameter states view.
    Tensor flat_param_;
    ParamState flat_state_;
    bool last_flat_ = false;
};

// Checks PyTorch's ranges ("Invalid learning rate: -1"); shared by the optimizers' constructors.
namespace detail {
void check_hyper(bool ok, const char* what, double value);
}

}  // namespace neura::optim
