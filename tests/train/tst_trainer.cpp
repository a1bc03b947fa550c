// Trainer and Experiment at the engine level: stop, pause/resume, NaN guard, determinism, storing runs.
#include <QtTest>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "neura/neura.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"

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
        QTRY_COMPARE_WITH_TIMEOUT(stop.paused(), true, 5000);
        QTest::qWait(200);
        QCOMPARE(steps.load(), 4);  // paused after step 3: nothing ran while paused
        stop.set_paused(false);
        worker.join();
        QCOMPARE(r.status, train::FitStatus::Completed);
        QCOMPARE(r.history.size(), std::size_t{2});
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
