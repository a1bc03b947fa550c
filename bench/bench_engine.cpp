// Engine benchmarks (not tests): the workloads of bench/WORKLOADS.md, printed as `name value unit`.
//   neura_bench [THREADS [W1 ... W8]]   (run bench/run.sh to see PyTorch's figures beside them)
// W2-W6 and W8 train as the studio does, through Network::train_step (the compiled plan); the *_autograd
// lines run the same work through the dynamic autograd.
#include <dnnl.h>
#include <fcntl.h>
#include <omp.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "neura/graph/ModelGraph.h"
#include "neura/graph/Network.h"
#include "neura/neura.h"
#include "neura/train/Experiment.h"

using namespace neura;
using Clock = std::chrono::steady_clock;

namespace {

// A program run as a whole process, `runs` times: the median wall time and the largest peak resident set
// (wait4's ru_maxrss), standard output to /dev/null. {-1, -1} when it cannot be started or fails.
std::pair<double, double> process_run(const std::vector<std::string>& argv, int runs) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<double> walls;
    double peak_kib = 0;
    for (int i = 0; i < runs; ++i) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        pid_t pid = 0;
        const auto t0 = Clock::now();
        const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) return {-1, -1};
        int status = 0;
        rusage usage{};
        if (wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return {-1, -1};
        walls.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
        peak_kib = std::max(peak_kib, static_cast<double>(usage.ru_maxrss));
    }
    std::sort(walls.begin(), walls.end());
    return {walls[walls.size() / 2], peak_kib / 1024.0};
}


double median_seconds(const std::function<void()>& fn, int reps, int warm = 3) {
    for (int i = 0; i < warm; ++i) fn();
    std::vector<double> ts;
    for (int i = 0; i < reps; ++i) {
        const auto t0 = Clock::now();
        fn();
        ts.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    std::sort(ts.begin(), ts.end());
    return ts[ts.size() / 2];
}

Tensor uniform_param(const Shape& s, double bound) { return Tensor::uniform(s, -bound, bound).requires_grad_(); }

// An MLP with PyTorch's default init, trained by hand-written SGD (momentum 0.9) on CrossEntropy.
struct Mlp {
    std::vector<Tensor> w, b, vw, vb;
    bool tanh_act;
    Mlp(std::vector<std::int64_t> sizes, bool tanh_act) : tanh_act(tanh_act) {
        for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
            const double bound = 1.0 / std::sqrt(static_cast<double>(sizes[i]));
            w.push_back(uniform_param({sizes[i + 1], sizes[i]}, bound));
            b.push_back(uniform_param({sizes[i + 1]}, bound));
            vw.push_back(Tensor::zeros({sizes[i + 1], sizes[i]}));
            vb.push_back(Tensor::zeros({sizes[i + 1]}));
        }
    }
    Tensor loss(const Tensor& x, const Tensor& y) {
        Tensor h = x;
        for (std::size_t i = 0; i < w.size(); ++i) {
            h = matmul(h, w[i].t()) + b[i];
            if (i + 1 < w.size()) h = tanh_act ? tanh(h) : relu(h);
        }
        return -mean(gather(log_softmax(h, 1), 1, y.unsqueeze(1)));
    }
    void step(double lr) {
        NoGradGuard ng;
        for (std::size_t i = 0; i < w.size(); ++i) {
            vw[i].mul_(0.9).add_(w[i].grad());
            vb[i].mul_(0.9).add_(b[i].grad());
            w[i].add_(vw[i], -lr);
            b[i].add_(vb[i], -lr);
            w[i].zero_grad();
            b[i].zero_grad();
        }
    }
};

// One training step as WORKLOADS.md times W3-W6: zero_grad, CrossEntropyLoss of forward(x) against
// class targets y, backward, an Adam step over the modules' parameters; median seconds over reps.
double adam_step_seconds(std::initializer_list<nn::Module*> modules, const std::function<Tensor(const Tensor&)>& forward,
                         const Tensor& x, const Tensor& y, double lr, int reps) {
    std::vector<Tensor> params;
    for (nn::Module* m : modules)
        for (auto& p : m->parameters()) params.push_back(p);
    optim::Adam opt(params, {.lr = lr});
    nn::CrossEntropyLoss lossf;
    return median_seconds([&] {
        opt.zero_grad();
        lossf(forward(x), y).backward();
        opt.step();
    }, reps);
}

// A chain of layers from an Input of `input` (per sample) to a Loss of `loss`: how the studio's graphs
// look, compiled by graph::compile as the studio and the CLI compile them.
graph::ModelGraph chain(const Shape& input, const std::vector<std::pair<const char*, graph::AttributeMap>>& layers,
                        const char* loss = "CrossEntropyLoss") {
    graph::ModelGraph g;
    graph::NodeId last = g.add_node("Input", "input", {{"shape", graph::AttributeValue(std::vector<std::int64_t>(input))}});
    int k = 0;
    auto link = [&](graph::NodeId to) {
        g.add_edge({last, graph::PortIndex{0}}, {to, graph::PortIndex{0}});
        last = to;
    };
    for (const auto& [type, attrs] : layers) link(g.add_node(type, std::string(type) + std::to_string(k++), attrs));
    link(g.add_node("Loss", "loss", {{"type", graph::AttributeValue(std::string(loss))}}));
    return g;
}

graph::AttributeValue num(std::int64_t v) { return graph::AttributeValue(v); }

// One training step as the studio, the CLI and the Python module run it: zero_grad, Network::train_step
// (the compiled training plan, neura/plan) and the optimizer's step; the median seconds at the team size
// set (omp_get_max_threads) and at 1 thread, measured in alternating rounds of the same process, so that
// both see the same memory, the same warm plan and the same minute of a shared machine (two processes a
// minute apart differ by a few percent on identical code). `one` is 0 when the team is 1 thread. With
// NEURA_PLAN=0 in the environment the same steps run through autograd.
struct StepTimes {
    double team = 0, one = 0;
};
StepTimes plan_step_seconds(const graph::ModelGraph& model, const Tensor& x, const Tensor& y, const char* optimizer,
                            double lr, int reps) {
    graph::Network net = graph::compile(model, 0);
    train::TrainConfig cfg;
    cfg.optimizer = optimizer;
    cfg.lr = lr;
    if (std::string(optimizer) == "SGD") cfg.momentum = 0.9;
    const auto opt = train::make_optimizer(cfg, net.parameters());
    const auto step = [&] {
        opt->zero_grad();
        net.train_step(x, y);
        opt->step();
    };
    const int team = omp_get_max_threads();
    if (team == 1) return {median_seconds(step, reps), 0.0};
    for (int i = 0; i < 3; ++i) step();
    constexpr int kRounds = 10;
    const int per = std::max(1, reps / kRounds);
    std::vector<double> at_team, at_one;
    for (int r = 0; r < kRounds; ++r)
        for (int threads : {team, 1}) {
            omp_set_num_threads(threads);
            step();  // the first step after a change of team is not timed
            for (int i = 0; i < per; ++i) {
                const auto t0 = Clock::now();
                step();
                (threads == 1 ? at_one : at_team).push_back(std::chrono::duration<double>(Clock::now() - t0).count());
            }
        }
    omp_set_num_threads(team);
    auto median = [](std::vector<double>& v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    return {median(at_team), median(at_one)};
}

// Prints a workload's figure at the team size and, when the team is larger, at 1 thread (`<name>_1thread`).
void print_step(const char* name, const StepTimes& t, const char* format) {
    std::printf(format, name, t.team * 1e6);
    if (t.one > 0) std::printf(format, (std::string(name) + "_1thread").c_str(), t.one * 1e6);
}

// W4's network: Conv2d(1,16,3,p=1)-ReLU-MaxPool2d(2)-Conv2d(16,32,3,p=1)-ReLU-MaxPool2d(2)-Flatten-Linear(1568,10).
graph::ModelGraph w4_model() {
    const graph::AttributeMap none;
    const auto conv = [](std::int64_t out) {
        return graph::AttributeMap{{"out_channels", num(out)},
                                   {"kernel_size", graph::AttributeValue(std::vector<std::int64_t>{3, 3})},
                                   {"padding", graph::AttributeValue(std::vector<std::int64_t>{1, 1})}};
    };
    const graph::AttributeMap pool2{{"kernel_size", graph::AttributeValue(std::vector<std::int64_t>{2, 2})}};
    return chain({1, 28, 28}, {{"Conv2d", conv(16)}, {"ReLU", none}, {"MaxPool2d", pool2}, {"Conv2d", conv(32)},
                               {"ReLU", none}, {"MaxPool2d", pool2}, {"Flatten", none},
                               {"Linear", {{"out_features", num(10)}}}});
}

// W8's process: W4 (w4_model(), batch 64, Adam) trained for 50 steps as the studio trains it, in a
// process of its own so that its peak resident set is the footprint of that alone.
//   neura_bench --w8-child THREADS
int w8_child(int threads) {
    omp_set_num_threads(threads);
    manual_seed(0);
    graph::Network net = graph::compile(w4_model(), 0);
    train::TrainConfig cfg;
    cfg.optimizer = "Adam";
    cfg.lr = 1e-3;
    const auto opt = train::make_optimizer(cfg, net.parameters());
    const Tensor x = Tensor::randn({64, 1, 28, 28}), y = Tensor::randint(0, 10, {64});
    for (int i = 0; i < 50; ++i) {
        opt->zero_grad();
        net.train_step(x, y);
        opt->step();
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 2 && std::string(argv[1]) == "--w8-child") return w8_child(std::atoi(argv[2]));
    // bench_engine [THREADS [W1 ... W8]]: the workloads named, or all of them.
    const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
    const std::vector<std::string> only(argv + std::min(argc, 2), argv + argc);
    auto want = [&](const char* w) { return only.empty() || std::find(only.begin(), only.end(), w) != only.end(); };
    omp_set_num_threads(threads);
    manual_seed(0);
    std::printf("# neura %s, %d threads\n", NEURA_VERSION, threads);
    // W7: start-up of `neura --version` (this build's), median of 20 runs and the largest peak RSS. Measured
    // before the other workloads: posix_spawn starts the child in this process's memory (vfork), and the
    // kernel counts that memory's high-water mark into the child's peak at its exec, so a bench process
    // grown by W1-W6 would report its own size instead of neura's (80 MiB instead of 11).
    if (want("W7")) {
        const auto [wall, peak] = process_run({NEURA_CLI_PATH, "--version"}, 20);
        if (wall < 0) {
            std::fprintf(stderr, "W7: cannot run %s --version\n", NEURA_CLI_PATH);
            return 1;
        }
        std::printf("W7_start_up_wall %.1f ms\n", wall * 1e3);
        std::printf("W7_start_up_peak_rss %.1f MiB\n", peak);
    }
    // W8: peak RSS of a process that trains W4 for 50 steps: this program again (--w8-child), the median of
    // 3 runs. Right after W7 for the same reason: this process's high-water mark is still small.
    if (want("W8")) {
        char self[4096] = {};
        if (readlink("/proc/self/exe", self, sizeof self - 1) <= 0) {
            std::fprintf(stderr, "W8: cannot find this program (/proc/self/exe)\n");
            return 1;
        }
        std::vector<double> peaks;
        for (int i = 0; i < 3; ++i) {
            const auto [wall, peak] = process_run({self, "--w8-child", std::to_string(threads)}, 1);
            if (wall < 0) {
                std::fprintf(stderr, "W8: %s --w8-child failed\n", self);
                return 1;
            }
            peaks.push_back(peak);
        }
        std::sort(peaks.begin(), peaks.end());
        std::printf("W8_cnn28_50_steps_peak_rss %.1f MiB\n", peaks[1]);
    }

    // W1: sgemm 1024^3 through neura::matmul, next to a raw dnnl_sgemm call.
    if (want("W1")) {
        const std::int64_t n = 1024;
        Tensor a = Tensor::randn({n, n}), b = Tensor::randn({n, n});
        const double flop = 2.0 * n * n * n;
        const double t_engine = median_seconds([&] { matmul(a, b); }, 20);
        Tensor c = Tensor::empty({n, n});
        const double t_raw = median_seconds([&] {
            dnnl_sgemm('N', 'N', n, n, n, 1.0f, a.data<float>(), n, b.data<float>(), n, 0.0f, c.data<float>(), n);
        }, 20);
        std::printf("W1_sgemm_1024 %.1f GFLOP/s\n", flop / t_engine / 1e9);
        std::printf("W1_raw_dnnl_sgemm_1024 %.1f GFLOP/s\n", flop / t_raw / 1e9);
        std::printf("W1_ratio_engine_over_raw %.3f x\n", t_raw / t_engine);
    }
    // W2: MLP 784-256-128-10 (ReLU), batch 64, SGD momentum: forward + backward + step.
    if (want("W2")) {
        Mlp m({784, 256, 128, 10}, false);
        Tensor x = Tensor::randn({64, 784});
        Tensor y = Tensor::randint(0, 10, {64});
        const double t = median_seconds([&] {
            m.loss(x, y).backward();
            m.step(0.01);
        }, 200);
        const graph::AttributeMap none;
        const StepTimes plan = plan_step_seconds(
            chain({784}, {{"Linear", {{"out_features", num(256)}}}, {"ReLU", none}, {"Linear", {{"out_features", num(128)}}},
                          {"ReLU", none}, {"Linear", {{"out_features", num(10)}}}}),
            x, y, "SGD", 0.01, 200);
        print_step("W2_mlp_b64_step", plan, "%s %.0f us\n");
        std::printf("W2_mlp_b64_step_autograd %.0f us\n", t * 1e6);
    }
    // W3: MLP 2-16-16-2 (Tanh), batch 32: forward + backward, and with an SGD step.
    if (want("W3")) {
        Mlp m({2, 16, 16, 2}, true);
        Tensor x = Tensor::randn({32, 2});
        Tensor y = Tensor::randint(0, 2, {32});
        const double fb = median_seconds([&] {
            m.loss(x, y).backward();
            for (auto& t : m.w) t.zero_grad();
            for (auto& t : m.b) t.zero_grad();
        }, 2000);
        const double step = median_seconds([&] {
            m.loss(x, y).backward();
            m.step(0.01);
        }, 2000);
        std::printf("W3_tiny_mlp_b32_fwd_bwd %.1f us\n", fb * 1e6);
        std::printf("W3_tiny_mlp_b32_sgd_step %.1f us\n", step * 1e6);
    }
    // W3 as WORKLOADS.md defines it: nn layers, CrossEntropyLoss, Adam, one full step.
    if (want("W3")) {
        nn::Linear l1(2, 16), l2(16, 16), l3(16, 2);
        const double t = adam_step_seconds({&l1, &l2, &l3}, [&](const Tensor& x) { return l3(tanh(l2(tanh(l1(x))))); },
                                           Tensor::randn({32, 2}), Tensor::randint(0, 2, {32}), 0.01, 2000);
        const graph::AttributeMap none;
        const StepTimes plan = plan_step_seconds(
            chain({2}, {{"Linear", {{"out_features", num(16)}}}, {"Tanh", none}, {"Linear", {{"out_features", num(16)}}},
                        {"Tanh", none}, {"Linear", {{"out_features", num(2)}}}}),
            Tensor::randn({32, 2}), Tensor::randint(0, 2, {32}), "Adam", 0.01, 2000);
        print_step("W3_tiny_mlp_b32_adam_step", plan, "%s %.1f us\n");
        std::printf("W3_tiny_mlp_b32_adam_step_autograd %.1f us\n", t * 1e6);
    }
    // W4: CNN on 1x28x28, batch 64, Adam.
    if (want("W4")) {
        nn::Conv2d c1({.in_channels = 1, .out_channels = 16, .padding_h = 1, .padding_w = 1});
        nn::Conv2d c2({.in_channels = 16, .out_channels = 32, .padding_h = 1, .padding_w = 1});
        nn::MaxPool2d pool({});
        nn::Linear fc(32 * 7 * 7, 10);
        const double t = adam_step_seconds(
            {&c1, &c2, &fc}, [&](const Tensor& x) { return fc(pool(relu(c2(pool(relu(c1(x)))))).flatten(1)); },
            Tensor::randn({64, 1, 28, 28}), Tensor::randint(0, 10, {64}), 1e-3, 50);
        const StepTimes plan = plan_step_seconds(w4_model(), Tensor::randn({64, 1, 28, 28}), Tensor::randint(0, 10, {64}),
                                              "Adam", 1e-3, 50);
        print_step("W4_cnn28_b64_adam_step", plan, "%s %.0f us\n");
        std::printf("W4_cnn28_b64_adam_step_autograd %.0f us\n", t * 1e6);
    }
    // W5: LSTM(32 -> 128, one layer, batch_first), sequence 32, batch 32, last step -> Linear(128, 10), Adam.
    if (want("W5")) {
        nn::LSTM lstm({.input_size = 32, .hidden_size = 128, .batch_first = true});
        nn::LastStep last;
        nn::Linear fc(128, 10);
        const double t = adam_step_seconds({&lstm, &fc}, [&](const Tensor& x) { return fc(last(lstm(x))); },
                                           Tensor::randn({32, 32, 32}), Tensor::randint(0, 10, {32}), 1e-3, 50);
        const StepTimes plan = plan_step_seconds(
            chain({32, 32}, {{"LSTM", {{"hidden_size", num(128)}}}, {"LastStep", {}}, {"Linear", {{"out_features", num(10)}}}}),
            Tensor::randn({32, 32, 32}), Tensor::randint(0, 10, {32}), "Adam", 1e-3, 50);
        print_step("W5_lstm_s32_b32_adam_step", plan, "%s %.0f us\n");
        std::printf("W5_lstm_s32_b32_adam_step_autograd %.0f us\n", t * 1e6);
    }
    // W6: Linear(32 -> 64), 2 x TransformerEncoderLayer(64, 4 heads, feed-forward 128, dropout 0, ReLU,
    // post-norm, batch_first), mean over the sequence -> Linear(64, 10); sequence 32, batch 32, Adam.
    if (want("W6")) {
        nn::Linear inp(32, 64), fc(64, 10);
        const nn::TransformerEncoderLayerOptions o{
            .d_model = 64, .nhead = 4, .dim_feedforward = 128, .dropout = 0.0, .batch_first = true};
        nn::TransformerEncoderLayer e1(o), e2(o);
        nn::MeanOverTime pool;
        const double t = adam_step_seconds({&inp, &e1, &e2, &fc}, [&](const Tensor& x) { return fc(pool(e2(e1(inp(x))))); },
                                           Tensor::randn({32, 32, 32}), Tensor::randint(0, 10, {32}), 1e-3, 50);
        const graph::AttributeMap enc{{"nhead", num(4)}, {"dim_feedforward", num(128)}, {"dropout", graph::AttributeValue(0.0)}};
        const StepTimes plan = plan_step_seconds(
            chain({32, 32}, {{"Linear", {{"out_features", num(64)}}}, {"TransformerEncoderLayer", enc},
                             {"TransformerEncoderLayer", enc}, {"MeanOverTime", {}}, {"Linear", {{"out_features", num(10)}}}}),
            Tensor::randn({32, 32, 32}), Tensor::randint(0, 10, {32}), "Adam", 1e-3, 50);
        print_step("W6_encoder_s32_b32_adam_step", plan, "%s %.0f us\n");
        std::printf("W6_encoder_s32_b32_adam_step_autograd %.0f us\n", t * 1e6);
    }
    return 0;
}
