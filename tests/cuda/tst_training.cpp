// Training on a GPU: the caching allocator (blocks are reused; a warmed-up training step calls no
// cudaMalloc), the fused optimizer kernels against the CPU loops, and a few steps of a small MLP giving
// the CPU's losses (directly and through Experiment, as `neura train --device cuda:0` does). Without a
// GPU: what a run asking for one reports.
#include <QtTest>

#include "common/TestSupport.h"
#include "cuda/CudaTest.h"

#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>

#include "neura/graph/ModelJson.h"
#include "neura/neura.h"
#include "neura/plan/TrainingPlan.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"

using namespace neura;
using neura::test::error_of;

namespace {

const Device kGpu = Device::cuda(0);

bool close(double a, double b, double tol = 1e-4) { return std::abs(a - b) <= tol * (1.0 + std::abs(b)); }

// A small MLP (seeded init), its optimizer, and one step on a fixed batch.
struct Mlp {
    Generator gen;
    nn::Linear l1, l2, l3;
    std::unique_ptr<optim::Optimizer> opt;
    nn::CrossEntropyLoss loss_fn;

    Mlp(const std::string& optimizer, Device device)
        : gen(3), l1(8, 32, true, &gen), l2(32, 32, true, &gen), l3(32, 4, true, &gen) {
        for (nn::Module* m : {static_cast<nn::Module*>(&l1), static_cast<nn::Module*>(&l2),
                              static_cast<nn::Module*>(&l3)})
            m->to(device);
        std::vector<Tensor> params;
        for (nn::Module* m : {static_cast<nn::Module*>(&l1), static_cast<nn::Module*>(&l2),
                              static_cast<nn::Module*>(&l3)})
            for (const auto& p : m->parameters()) params.push_back(p);
        train::TrainConfig c;
        c.optimizer = optimizer;
        c.lr = 0.01;
        c.momentum = 0.9;
        c.nesterov = optimizer == "SGD";
        c.weight_decay = 0.01;
        opt = train::make_optimizer(c, params);
    }
    double step(const Tensor& x, const Tensor& y) {
        opt->zero_grad();
        Tensor loss = loss_fn(l3(gelu(l2(tanh(l1(x))))), y);
        loss.backward();
        opt->step();
        return loss.item<double>();
    }
};

project::Project moons_project() {
    std::ifstream f(NEURA_SOURCE_DIR "/projects/src/moons.model.json");
    std::stringstream s;
    s << f.rdbuf();
    project::Project p;
    p.model_json = s.str();
    train::DatasetSpec spec;
    spec.name = "moons";
    spec.params = {{"n", "256"}};
    p.dataset_json = spec.to_json();
    train::TrainConfig c;
    c.epochs = 3;
    c.lr = 0.01;
    p.train_config_json = c.to_json();
    return p;
}

}  // namespace

class TestCudaTraining : public QObject {
    Q_OBJECT
private slots:
    // ---------------------------------------------------------------- without a GPU
    void a_run_on_a_missing_gpu_says_why() {
        if (neura::test::have_gpu()) QSKIP("there is a GPU: the run would start");
        auto p = moons_project();
        train::TrainConfig c = train::TrainConfig::from_json(p.train_config_json);
        c.device = "cuda:0";
        const QString msg = error_of([&] { train::Experiment ex(p, c); });
        QVERIFY2(msg.contains("cuda:0") && msg.contains("not available") &&
                     msg.contains(QString::fromStdString(cuda::unavailable_reason())),
                 qPrintable(msg));
    }

    void a_bad_device_name_is_a_config_error() {
        QString msg = error_of([] { train::TrainConfig::from_json(R"({"device": "gpu0"})"); });
        QVERIFY2(msg.contains("training config") && msg.contains("gpu0") && msg.contains("cuda:N"), qPrintable(msg));
        QCOMPARE(train::TrainConfig::from_json(R"({"device": "cuda:1"})").device, std::string("cuda:1"));
    }

    // ---------------------------------------------------------------- on a GPU
    void allocator_reuses_freed_blocks() {
        NEURA_REQUIRE_GPU();
        cuda::StreamScope stream(kGpu);
        { Tensor warm = Tensor::empty({1000, 1000}, DType::F32, kGpu); }
        const auto before = cuda::allocator_stats(0);
        for (int i = 0; i < 10; ++i) {
            Tensor t = Tensor::empty({1000, 1000}, DType::F32, kGpu);
            Tensor u = Tensor::empty({999, 1001}, DType::F32, kGpu);  // the same size class
        }
        const auto after = cuda::allocator_stats(0);
        QVERIFY2(after.device_mallocs <= before.device_mallocs + 1,
                 qPrintable(QString("%1 cudaMalloc calls for 20 allocations of two sizes")
                                .arg(after.device_mallocs - before.device_mallocs)));
        QVERIFY(after.cache_hits >= before.cache_hits + 19);
        QCOMPARE(after.allocated_bytes, before.allocated_bytes);
        QVERIFY(after.reserved_bytes >= after.allocated_bytes);
    }

    void a_warm_training_step_does_not_call_cudamalloc() {
        NEURA_REQUIRE_GPU();
        cuda::StreamScope stream(kGpu);
        Mlp m("Adam", kGpu);
        const Tensor x = Tensor::randn({64, 8}).to(kGpu);
        const Tensor y = Tensor::randint(0, 4, {64}).to(kGpu);
        for (int i = 0; i < 3; ++i) m.step(x, y);
        const auto warm = cuda::allocator_stats(0);
        for (int i = 0; i < 10; ++i) m.step(x, y);
        const auto after = cuda::allocator_stats(0);
        QCOMPARE(after.device_mallocs, warm.device_mallocs);
        QVERIFY(after.cache_hits > warm.cache_hits);
    }

    void fused_optimizer_kernels_match_the_cpu_data() {
        QTest::addColumn<QString>("optimizer");
        for (const char* o : {"SGD", "Adam", "AdamW", "RMSprop"}) QTest::newRow(o) << QString(o);
    }
    void fused_optimizer_kernels_match_the_cpu() {
        NEURA_REQUIRE_GPU();
        QFETCH(QString, optimizer);
        train::TrainConfig c;
        c.optimizer = optimizer.toStdString();
        c.lr = 0.05;
        c.momentum = 0.9;
        c.weight_decay = 0.1;
        const Tensor p0 = Tensor::randn({17, 5});
        Tensor pc = p0.clone().requires_grad_(), pg = p0.to(kGpu).requires_grad_();
        auto oc = train::make_optimizer(c, {pc});
        auto og = train::make_optimizer(c, {pg});
        for (int s = 0; s < 4; ++s) {
            const Tensor g = Tensor::randn({17, 5});
            pc.set_grad(g);
            pg.set_grad(g.to(kGpu));
            oc->step();
            og->step();
        }
        const auto a = pg.to_vector<double>(), b = pc.to_vector<double>();
        for (std::size_t i = 0; i < a.size(); ++i)
            QVERIFY2(close(a[i], b[i], 1e-5), qPrintable(QString("[%1] GPU %2, CPU %3").arg(i).arg(a[i]).arg(b[i])));
        QCOMPARE(pg.device(), kGpu);
    }

    void mlp_steps_give_the_cpu_losses_data() {
        QTest::addColumn<QString>("optimizer");
        for (const char* o : {"SGD", "Adam", "AdamW", "RMSprop"}) QTest::newRow(o) << QString(o);
    }
    void mlp_steps_give_the_cpu_losses() {
        NEURA_REQUIRE_GPU();
        QFETCH(QString, optimizer);
        Mlp cpu(optimizer.toStdString(), Device::cpu()), gpu(optimizer.toStdString(), kGpu);
        Generator data(11);
        const Tensor x = Tensor::randn({32, 8}, DType::F32, &data);
        const Tensor y = Tensor::randint(0, 4, {32}, &data);
        cuda::StreamScope stream(kGpu);
        const Tensor xg = x.to(kGpu), yg = y.to(kGpu);
        for (int s = 0; s < 5; ++s) {
            const double lc = cpu.step(x, y), lg = gpu.step(xg, yg);
            QVERIFY2(close(lg, lc), qPrintable(QString("step %1: GPU loss %2, CPU loss %3").arg(s).arg(lg).arg(lc)));
        }
    }

    void the_plan_on_a_gpu_replays_a_cuda_graph_as_the_cpu_steps() {
        // The compiled training plan (neura/plan) on a GPU: a network of native steps and the fused loss is
        // captured as a CUDA graph after one warm-up step; six steps (warm-up, capture, four replays, each on
        // a new batch) leave the CPU plan's losses and parameters.
        NEURA_REQUIRE_GPU();
        const project::Project p = moons_project();
        const graph::ModelGraph model = graph::from_json(p.model_json);
        graph::Network cpu = graph::compile(model, 5), gpu = graph::compile(model, 5);
        gpu.to(kGpu);
        train::TrainConfig c;
        c.optimizer = "Adam";
        c.lr = 0.01;
        auto oc = train::make_optimizer(c, cpu.parameters());
        auto og = train::make_optimizer(c, gpu.parameters());
        cuda::StreamScope stream(kGpu);
        Generator data(4);
        for (int s = 0; s < 6; ++s) {
            Shape xs{16};
            xs.insert(xs.end(), cpu.input_shape().begin(), cpu.input_shape().end());
            const Tensor x = Tensor::randn(xs, DType::F32, &data);
            const Tensor y = Tensor::randint(0, cpu.output_shape().back(), {16}, &data);
            oc->zero_grad();
            og->zero_grad();
            const double lc = cpu.train_step(x, y).loss.item<double>();
            const double lg = gpu.train_step(x.to(kGpu), y.to(kGpu)).loss.item<double>();
            oc->step();
            og->step();
            QVERIFY2(gpu.last_plan(), "the GPU step ran through autograd");
            QVERIFY2(close(lg, lc), qPrintable(QString("step %1: GPU loss %2, CPU loss %3").arg(s).arg(lg).arg(lc)));
        }
        const std::string status = gpu.last_plan()->cuda_graph_status();
        QVERIFY2(status == "replayed", status.c_str());
        const auto pc = cpu.parameters(), pg = gpu.parameters();
        for (std::size_t k = 0; k < pc.size(); ++k) {
            const auto a = pc[k].to_vector<double>(), b = pg[k].to(Device::cpu()).to_vector<double>();
            for (std::size_t e = 0; e < a.size(); ++e) QVERIFY(close(b[e], a[e], 1e-3));
        }
        // A target out of range is refused on the GPU too (read after the step: the kernels never wait).
        const QString why = error_of([&] {
            Shape xs{16};
            xs.insert(xs.end(), cpu.input_shape().begin(), cpu.input_shape().end());
            gpu.train_step(Tensor::randn(xs).to(kGpu), Tensor::full({16}, 99, DType::I64).to(kGpu));
        });
        QVERIFY2(why.contains("out of range"), qPrintable(why));
    }

    void an_experiment_trains_on_the_gpu_as_on_the_cpu() {
        NEURA_REQUIRE_GPU();
        auto p = moons_project();
        train::TrainConfig c = train::TrainConfig::from_json(p.train_config_json);
        train::Experiment on_cpu(p, c);
        c.device = "cuda:0";
        train::Experiment on_gpu(p, c);
        QCOMPARE(on_gpu.device(), kGpu);
        for (const auto& t : on_gpu.network().parameters()) QCOMPARE(t.device(), kGpu);
        const auto rc = on_cpu.run({});
        const auto rg = on_gpu.run({});
        QCOMPARE(rg.status, train::FitStatus::Completed);
        QCOMPARE(rg.history.size(), rc.history.size());
        for (std::size_t e = 0; e < rc.history.size(); ++e) {
            QVERIFY2(close(rg.history[e].train_loss, rc.history[e].train_loss, 1e-3),
                     qPrintable(QString("epoch %1: GPU %2, CPU %3").arg(e).arg(rg.history[e].train_loss)
                                    .arg(rc.history[e].train_loss)));
            QVERIFY(close(rg.history[e].val_loss, rc.history[e].val_loss, 1e-3));
        }
        // The project gets CPU tensors whatever device trained.
        project::Project stored = p;
        on_gpu.store(stored, rg, "2026-01-01T00:00:00Z");
        QVERIFY(!stored.weights.empty());
        for (const auto& w : stored.weights) QCOMPARE(w.tensor.device(), Device::cpu());
        for (const auto& s : stored.optimizer_state) QCOMPARE(s.tensor.device(), Device::cpu());
        // And a GPU run loads the saved weights back (copy_ across devices).
        train::Experiment again(stored, c);
        QCOMPARE(again.load_weights(stored), stored.weights.size());
    }

    void a_diverging_gpu_run_names_the_node() {
        NEURA_REQUIRE_GPU();
        // A NaN in one weight of fc2, on the GPU: its output is the first to hold NaN (as the CPU test in
        // tests/train). A huge learning rate is no way to diverge here: tanh saturates and the loss
        // stays finite (seen on the first GPU run, and so on the CPU).
        auto p = moons_project();
        train::TrainConfig c = train::TrainConfig::from_json(p.train_config_json);
        c.device = "cuda:0";
        train::Experiment ex(p, c);
        bool poisoned = false;
        {
            NoGradGuard ng;
            for (auto& [name, t] : ex.network().named_parameters()) {
                if (name != "fc2.weight") continue;
                QCOMPARE(t.device(), Device::cuda(0));
                Tensor(t).select(0, 0).select(0, 0).fill_(std::nan(""));
                poisoned = true;
            }
        }
        QVERIFY(poisoned);
        const auto r = ex.run({});
        QCOMPARE(r.status, train::FitStatus::Diverged);
        QCOMPARE(ex.network().node_name(r.bad_node), std::string("fc2"));
        QVERIFY2(r.message.find("node 'fc2'") != std::string::npos, r.message.c_str());
    }
};

NEURA_CUDA_TEST_MAIN(TestCudaTraining)
#include "tst_training.moc"
