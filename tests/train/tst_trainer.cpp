// Trainer and Experiment at the engine level: stop (between batches, in validation, while the dataset
// loads, inside a gradient check), pause/resume, the NaN guard (a batch, the parameters after the last
// optimizer step, the validation loss), determinism, storing runs.
#include <QTemporaryDir>
#include <QtTest>

#include "common/TestSupport.h"

#include <atomic>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "neura/graph/LayerRegistry.h"
#include "neura/graph/ModelJson.h"
#include "neura/neura.h"
#include "neura/optim/SGD.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"
#include "neura/train/LayerGradcheck.h"

using namespace neura;

namespace {

project::Project spiral_project(std::int64_t epochs = 5) {
    std::ifstream f(NEURA_SOURCE_DIR "/projects/src/spiral.model.json");
    std::stringstream s;
    s << f.rdbuf();
    project::Project p;
    p.model_json = s.str();
    train::DatasetSpec spec;
    spec.name = "spiral";
    spec.params = {{"n", "300"}, {"classes", "3"}, {"noise", "0.1"}};
    p.dataset_json = spec.to_json();
    train::TrainConfig c;
    c.epochs = epochs;
    c.lr = 0.01;
    p.train_config_json = c.to_json();
    return p;
}

// Test-only layer: the identity, which asks a stop token to stop on its third forward, i.e. in the
// middle of its own gradient check (check_layers runs the network once first).
train::StopToken* g_stop_on_third_call = nullptr;
int g_calls = 0;

class StopsOnThirdCall : public nn::Module {
public:
    std::string type_name() const override { return "StopsOnThirdCall"; }
    Tensor forward(const Tensor& x) override {
        if (++g_calls == 3 && g_stop_on_third_call) g_stop_on_third_call->request_stop();
        return x * 1.0;
    }
};

void register_stopping_layer() {
    test::register_test_layer<StopsOnThirdCall>(
        "StopsOnThirdCall", "Test only: the identity; asks the test's stop token to stop on its third forward.");
}

}  // namespace

class TestTrainer : public QObject {
    Q_OBJECT
private slots:
    void stop_within_one_batch() {
        auto p = spiral_project(50);
        train::Experiment ex(p, train::TrainConfig::from_json(p.train_config_json));
        train::StopToken stop;
        int steps_after_stop = -1;
        train::Callbacks cb;
        cb.on_step = [&](const train::StepProgress& s) {
            if (steps_after_stop >= 0) ++steps_after_stop;
            if (s.global_step == 10) {
                stop.request_stop();
                steps_after_stop = 0;
            }
        };
        const auto r = ex.run(cb, &stop);
        QCOMPARE(r.status, train::FitStatus::Stopped);
        QCOMPARE(steps_after_stop, 0);  // no batch ran after the request
        QVERIFY(r.message.find("stopped by the user") != std::string::npos);
    }

    void pause_blocks_until_resumed() {
        auto p = spiral_project(2);
        train::Experiment ex(p, train::TrainConfig::from_json(p.train_config_json));
        train::StopToken stop;
        std::atomic<int> steps{0};
        train::Callbacks cb;
        cb.on_step = [&](const train::StepProgress& s) {
            steps = static_cast<int>(s.global_step) + 1;
            if (s.global_step == 3) stop.set_paused(true);
        };
        train::FitResult r;
        std::thread worker([&] { r = ex.run(cb, &stop); });
        QTRY_VERIFY_WITH_TIMEOUT(stop.held(), 60000);  // blocked in the pause
        QCOMPARE(steps.load(), 4);  // paused after step 3: nothing ran while paused
        stop.set_paused(false);
        worker.join();
        QCOMPARE(r.status, train::FitStatus::Completed);
        QCOMPARE(r.history.size(), std::size_t{2});
    }

    void stop_during_validation_ends_it() {
        // A stop asked on the last batch of epoch 1 has no next batch to wait for: the validation after
        // the epoch must end on it, not run over the whole validation set first.
        auto p = spiral_project(5);
        auto cfg = train::TrainConfig::from_json(p.train_config_json);
        cfg.val_fraction = 0.5;
        train::Experiment ex(p, cfg);
        train::StopToken stop;
        std::vector<train::EpochMetrics> epochs;
        train::Callbacks cb;
        cb.on_step = [&](const train::StepProgress& s) {
            if (s.epoch == 0 && s.step + 1 == s.steps_per_epoch) stop.request_stop();
        };
        cb.on_epoch = [&](const train::EpochMetrics& m) { epochs.push_back(m); };
        const auto r = ex.run(cb, &stop);
        QCOMPARE(r.status, train::FitStatus::Stopped);
        QVERIFY2(r.message.find("during the validation after epoch 1") != std::string::npos, r.message.c_str());
        QCOMPARE(r.history.size(), std::size_t{1});  // the epoch trained in full ...
        QCOMPARE(r.history[0].val_loss, -1.0);        // ... but was not validated
        QCOMPARE(epochs.size(), std::size_t{1});
        // evaluate() itself: a stop already asked for reads no batch.
        train::Trainer t(ex.network(), ex.optimizer());
        const train::EvalResult e = t.evaluate(*ex.val_set(), 16, &stop);
        QVERIFY(e.stopped);
        QCOMPARE(e.samples, std::int64_t{0});
        const train::EvalResult full = t.evaluate(*ex.val_set(), 16);
        QVERIFY(!full.stopped);
        QCOMPARE(full.samples, ex.val_set()->size());
    }

    void stop_while_the_experiment_loads() {
        auto p = spiral_project(5);
        train::StopToken stop;
        stop.request_stop();
        try {
            train::Experiment ex(p, train::TrainConfig::from_json(p.train_config_json), &stop);
            QFAIL("expected RunStopped");
        } catch (const train::RunStopped& e) {
            QVERIFY2(std::string(e.what()).find("stopped by the user") != std::string::npos, e.what());
        }
        // Without a stop request it builds as before.
        train::StopToken go;
        train::Experiment ex(p, train::TrainConfig::from_json(p.train_config_json), &go);
        QVERIFY(ex.train_set()->size() > 0);
    }

    void gradcheck_stops_inside_a_layer() {
        register_stopping_layer();
        // spiral's fc1 → StopsOnThirdCall → the rest: fc1 is checked in full, the stop comes inside the
        // next layer's check, which then gives no result (and nothing after it runs).
        graph::ModelGraph g = graph::from_json(spiral_project().model_json);
        graph::NodeId fc1, next;
        graph::EdgeId edge;
        for (const auto& [id, e] : g.edges())
            if (g.node(e.from.node).name == "fc1") {
                fc1 = e.from.node;
                next = e.to.node;
                edge = id;
            }
        QVERIFY(fc1.valid());
        g.remove_edge(edge);
        const graph::NodeId stopper = g.add_node("StopsOnThirdCall", "stopper");
        g.add_edge(fc1, stopper);
        g.add_edge(stopper, next);
        graph::Network net = graph::compile(g, 1);
        train::StopToken stop;
        g_stop_on_third_call = &stop;
        g_calls = 0;
        train::LayerGradcheckOptions o;
        o.gradcheck.max_elements = 8;
        const auto results = train::check_layers(net, Tensor::randn({4, 2}), o, DType::F64, {}, &stop);
        g_stop_on_third_call = nullptr;
        QVERIFY(stop.stop_requested());
        QCOMPARE(results.size(), std::size_t{1});
        QCOMPARE(results[0].name, std::string("fc1"));
        QVERIFY(results[0].passed);
        QCOMPARE(g_calls, 3);  // no forward of the stopped layer ran after the request
    }

    void same_seed_same_history_and_weights() {
        auto p = spiral_project(3);
        const auto cfg = train::TrainConfig::from_json(p.train_config_json);
        train::Experiment a(p, cfg), b(p, cfg);
        const auto ra = a.run({}), rb = b.run({});
        for (std::size_t i = 0; i < ra.history.size(); ++i) QCOMPARE(ra.history[i].train_loss, rb.history[i].train_loss);
        const auto pa = a.network().parameters(), pb = b.network().parameters();
        for (std::size_t i = 0; i < pa.size(); ++i) QCOMPARE(pa[i].to_vector<float>(), pb[i].to_vector<float>());
    }

    void nan_names_the_first_bad_node() {
        auto p = spiral_project(3);
        auto cfg = train::TrainConfig::from_json(p.train_config_json);
        train::Experiment ex(p, cfg);
        // Poison one weight of the second Linear: its output is the first to hold NaN.
        {
            NoGradGuard ng;
            for (auto& [name, t] : ex.network().named_parameters())
                if (name == "fc2.weight") Tensor(t).select(0, 0).select(0, 0).fill_(std::nan(""));
        }
        const auto r = ex.run({});
        QCOMPARE(r.status, train::FitStatus::Diverged);
        QCOMPARE(ex.network().node_name(r.bad_node), std::string("fc2"));
        QVERIFY2(r.message.find("node 'fc2'") != std::string::npos, r.message.c_str());
    }

    void nan_parameters_after_the_last_step_stop_the_run() {
        // One epoch of one batch: the only optimizer step is the last. An infinite lr makes
        // every parameter non-finite, while the batch's loss and gradients were finite.
        auto p = spiral_project(1);
        auto cfg = train::TrainConfig::from_json(p.train_config_json);
        cfg.val_fraction = 0.0;
        train::Experiment ex(p, cfg);
        optim::SGDOptions so;
        so.lr = std::numeric_limits<double>::infinity();
        optim::SGD sgd(ex.network().parameters(), so);
        data::DataLoaderOptions lo;
        lo.batch_size = ex.train_set()->size();
        data::DataLoader loader(ex.train_set(), lo);
        QCOMPARE(loader.num_batches(), std::int64_t{1});
        train::Trainer trainer(ex.network(), sgd);
        int epochs_reported = 0;
        train::Callbacks cb;
        cb.on_epoch = [&](const train::EpochMetrics&) { ++epochs_reported; };
        const auto r = trainer.fit(loader, nullptr, 1, cb);
        QCOMPARE(r.status, train::FitStatus::Diverged);
        QVERIFY(r.bad_node.valid());
        QCOMPARE(ex.network().node_name(r.bad_node), std::string("fc1"));  // the first layer with parameters
        QVERIFY2(r.message.find("parameter fc1.weight") != std::string::npos, r.message.c_str());
        QVERIFY2(r.message.find("optimizer step") != std::string::npos, r.message.c_str());
        QCOMPARE(epochs_reported, 0);  // the diverged epoch is not reported as a finished one
        QVERIFY(r.history.empty());
    }

    void nan_validation_loss_stops_the_run() {
        // Finite training data, but one validation row holds a NaN (in the second batch of 256).
        auto p = spiral_project(2);
        auto cfg = train::TrainConfig::from_json(p.train_config_json);
        cfg.val_fraction = 0.0;
        cfg.normalize = false;
        train::Experiment ex(p, cfg);
        const std::int64_t n = 300;
        std::vector<float> features(static_cast<std::size_t>(n) * 2, 0.5f);
        features[2 * 260 + 1] = std::numeric_limits<float>::quiet_NaN();
        std::vector<std::int64_t> labels(static_cast<std::size_t>(n), 1);
        data::TensorDataset val(Tensor::from_vector(features, {n, 2}), Tensor::from_vector(labels, {n}), 3);
        data::DataLoaderOptions lo;
        lo.batch_size = 32;
        data::DataLoader loader(ex.train_set(), lo);
        train::Trainer trainer(ex.network(), ex.optimizer());
        const auto r = trainer.fit(loader, &val, 2, {});
        QCOMPARE(r.status, train::FitStatus::Diverged);
        QVERIFY2(r.message.find("validation loss is not finite") != std::string::npos, r.message.c_str());
        QVERIFY2(r.message.find("rows 256 to 299") != std::string::npos, r.message.c_str());
        QVERIFY(r.bad_node.valid());
        // The NaN enters with the data: the first node whose output holds it is named.
        const std::string first = ex.network().node_name(r.bad_node);
        QVERIFY2(r.message.find("node '" + first + "'") != std::string::npos, r.message.c_str());
        QVERIFY(r.history.empty());
        QVERIFY(ex.network().is_training());  // left in training mode, as fit() found it
    }

    void store_writes_weights_and_history() {
        auto p = spiral_project(4);
        train::Experiment ex(p, train::TrainConfig::from_json(p.train_config_json));
        const auto r = ex.run({});
        ex.store(p, r, project::utc_now_iso8601());
        QCOMPARE(p.runs.size(), std::size_t{1});
        QCOMPARE(p.runs[0].status, std::string(project::run_status::kCompleted));
        std::size_t losses = 0;
        for (const auto& m : p.runs[0].metrics) losses += m.name == "train_loss";
        QCOMPARE(losses, std::size_t{4});
        QCOMPARE(p.weights.size(), ex.network().named_parameters().size());
        QVERIFY(!p.optimizer_state.empty());
        QVERIFY(p.metadata.count("normalization"));
        // A new experiment loads them back and evaluates the same.
        train::Experiment again(p, train::TrainConfig::from_json(p.train_config_json));
        QCOMPARE(again.load_weights(p), p.weights.size());
        train::Trainer t1(ex.network(), ex.optimizer()), t2(again.network(), again.optimizer());
        QCOMPARE(t1.evaluate(*ex.val_set()).loss, t2.evaluate(*again.val_set()).loss);
    }

    void indices_are_not_standardized() {
        // The text dataset's features are character indices for an Embedding: with "Standardize
        // features" on (the default) they stay indices, and training runs.
        QTemporaryDir dir;
        const QString corpus = dir.filePath("corpus.txt");
        {
            QFile f(corpus);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray("the cat sat on the mat\n").repeated(20));
        }
        graph::ModelGraph g;
        const auto in = g.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{6}}});
        const auto e = g.add_node("Embedding", "emb", {{"num_embeddings", std::int64_t{11}}, {"embedding_dim", std::int64_t{4}}});
        const auto f = g.add_node("Flatten", "flat");
        const auto fc = g.add_node("Linear", "fc", {{"out_features", std::int64_t{11}}});
        const auto loss = g.add_node("Loss", "loss", {{"type", std::string("CrossEntropyLoss")}});
        g.add_edge(in, e);
        g.add_edge(e, f);
        g.add_edge(f, fc);
        g.add_edge(fc, loss);
        project::Project p;
        p.model_json = graph::to_json(g);
        train::DatasetSpec spec;
        spec.name = "text";
        spec.params = {{"path", corpus.toStdString()}, {"length", "6"}, {"stride", "1"}};
        p.dataset_json = spec.to_json();
        train::TrainConfig c;
        c.epochs = 2;
        QVERIFY(c.normalize);
        train::Experiment ex(p, c);
        QVERIFY(!ex.standardizer().fitted());
        std::vector<float> x(6);
        ex.train_set()->read_features(0, x.data());
        for (float v : x) QVERIFY(v == std::round(v) && v >= 0 && v < 11);  // 11 characters
        const auto r = ex.run({});
        QCOMPARE(r.status, train::FitStatus::Completed);
        ex.store(p, r, project::utc_now_iso8601());
        QVERIFY(!p.metadata.count("normalization"));
        // A model whose Input feeds a Linear is standardized as before.
        train::Experiment spiral(spiral_project(), c);
        QVERIFY(spiral.standardizer().fitted());
    }

    void bad_inputs_give_clear_errors() {
        auto p = spiral_project();
        p.dataset_json = R"({"name": "digits"})";
        try {
            train::Experiment ex(p, train::TrainConfig::from_json(p.train_config_json));
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("[64]") != std::string::npos, e.what());
        }
        QVERIFY_THROWS_EXCEPTION(Error, train::TrainConfig::from_json(R"({"epochs": "ten"})"));
        QVERIFY_THROWS_EXCEPTION(Error, train::TrainConfig::from_json(R"({"optimizer": "Adagrad"})"));
    }
};

QTEST_APPLESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
