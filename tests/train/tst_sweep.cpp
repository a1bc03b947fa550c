// Sweeps (neura/train/Sweep.h): a grid's runs recorded in the project file with their settings, config
// and model; attribute overrides that change the model; weights left alone; random draws; the errors
// that come before any run; a model the settings break failing only its own run; stopping.
#include <QTemporaryDir>
#include <QtTest>

#include "common/TestSupport.h"

#include <nlohmann/json.hpp>
#include <set>

#include "neura/graph/ModelJson.h"
#include "neura/graph/ShapeReport.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"
#include "neura/train/Sweep.h"

using namespace neura;
using nlohmann::json;

namespace {

// The spiral example, smaller: 200 points, one epoch.
project::Project small_spiral() {
    project::Project p = test::example_project("spiral");
    train::DatasetSpec spec = train::DatasetSpec::from_json(p.dataset_json);
    spec.params["n"] = "200";
    p.dataset_json = spec.to_json();
    train::TrainConfig c = train::TrainConfig::from_json(p.train_config_json);
    c.epochs = 1;
    p.train_config_json = c.to_json();
    return p;
}

train::Sweep make_sweep(const project::Project& p, const std::vector<std::string>& axes, std::int64_t random = 0,
                        std::uint64_t seed = 0) {
    train::SweepOptions o;
    for (const auto& a : axes) o.grid.push_back(train::parse_sweep_axis(a));
    o.random = random;
    o.seed = seed;
    return train::Sweep(p, train::TrainConfig::from_json(p.train_config_json), o);
}

// The message of the neura::Error `fn` throws; empty (and a failed check) when it throws none.
std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.what();
    }
    return {};
}

bool same_bytes(const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
    const Tensor ca = a.contiguous(), cb = b.contiguous();
    return std::memcmp(ca.raw_data(), cb.raw_data(), static_cast<std::size_t>(ca.numel()) * element_size(ca.dtype())) == 0;
}

}  // namespace

class TestSweep : public QObject {
    Q_OBJECT

private slots:
    void parsesAxes() {
        const auto a = train::parse_sweep_axis("lr=0.1, 0.01,1e-3");
        QCOMPARE(a.key, std::string("lr"));
        QCOMPARE(a.values, (std::vector<std::string>{"0.1", "0.01", "1e-3"}));
        const auto b = train::parse_sweep_axis("input.shape=[2],[1,2]");
        QCOMPARE(b.values, (std::vector<std::string>{"[2]", "[1,2]"}));
        QVERIFY(error_of([] { train::parse_sweep_axis("lr"); }).find("KEY=V1,V2") != std::string::npos);
        QVERIFY(error_of([] { train::parse_sweep_axis("lr=0.1,,0.2"); }).find("empty value") != std::string::npos);
    }

    // A 2×2 grid of a training setting and a layer attribute: four runs, in grid order, each with its
    // settings, config and model in the file; the project's own model, config and weights untouched.
    void gridStoresFourRuns() {
        QTemporaryDir dir;
        const std::string path = (dir.path() + "/spiral.neura").toStdString();
        project::Project p = small_spiral();
        {  // trained once, so there are weights for the sweep to leave alone
            train::Experiment ex(p, train::TrainConfig::from_json(p.train_config_json));
            ex.store(p, ex.run({}), project::utc_now_iso8601());
        }
        QCOMPARE(p.runs.size(), std::size_t(1));
        QVERIFY(!p.runs[0].model_json.empty());  // a plain run keeps its model too
        QVERIFY(p.runs[0].settings_json.empty());
        project::save_project(path, p);
        const project::Project before = project::load_project(path);

        const train::Sweep sweep = make_sweep(before, {"lr=0.1,0.01", "fc1.out_features=8,16"});
        QCOMPARE(sweep.size(), std::size_t(4));
        project::Project working = before;
        std::vector<std::size_t> started;
        train::SweepCallbacks cb;
        cb.on_run_start = [&](std::size_t i, std::size_t n, const std::string&) {
            QCOMPARE(n, std::size_t(4));
            started.push_back(i);
        };
        int saves = 0;
        cb.on_run_finished = [&](std::size_t, const project::RunRecord&) {
            project::save_project(path, working);
            ++saves;
        };
        const train::SweepResult result = train::run_sweep(working, sweep, cb);
        QCOMPARE(result.runs, std::size_t(4));
        QCOMPARE(result.failed, std::size_t(0));
        QVERIFY(!result.stopped);
        QCOMPARE(saves, 4);
        QCOMPARE(started, (std::vector<std::size_t>{0, 1, 2, 3}));

        const project::Project after = project::load_project(path);
        QCOMPARE(after.runs.size(), std::size_t(5));
        // The first key varies slowest.
        const double lrs[] = {0.1, 0.1, 0.01, 0.01};
        const std::int64_t widths[] = {8, 16, 8, 16};
        std::set<std::int64_t> ids{after.runs[0].id};
        for (int k = 0; k < 4; ++k) {
            const project::RunRecord& r = after.runs[static_cast<std::size_t>(k + 1)];
            QVERIFY(ids.insert(r.id).second);
            QCOMPARE(r.status, std::string(project::run_status::kCompleted));
            const json settings = json::parse(r.settings_json);
            QCOMPARE(settings.size(), std::size_t(2));
            QCOMPARE(settings["lr"].get<double>(), lrs[k]);
            QCOMPARE(settings["fc1.out_features"].get<std::int64_t>(), widths[k]);
            QVERIFY(r.settings_json.find("\"lr\"") < r.settings_json.find("\"fc1.out_features\""));  // given order
            QCOMPARE(train::TrainConfig::from_json(r.config_json).lr, lrs[k]);
            QCOMPARE(train::TrainConfig::from_json(r.config_json).epochs, std::int64_t(1));
            // The stored model has the width: Linear(2→h), Linear(h→32), Linear(32→3).
            const graph::ModelGraph g = graph::from_json(r.model_json);
            QCOMPARE(graph::int_attribute(g.node(g.find_node("fc1")).attributes, "out_features"), widths[k]);
            const std::int64_t h = widths[k];
            QCOMPARE(graph::infer_shapes(g).total_parameters, (2 * h + h) + (h * 32 + 32) + (32 * 3 + 3));
            const json final = json::parse(r.final_metrics_json);
            QVERIFY(final.contains("train_loss") && final.contains("val_loss") && final.contains("val_accuracy"));
            QVERIFY(final["seconds"].get<double>() >= 0.0);
            QVERIFY(!r.metrics.empty());
        }
        // The project itself: the same model, config, optimizer state and weights as before.
        QCOMPARE(after.model_json, before.model_json);
        QCOMPARE(after.train_config_json, before.train_config_json);
        QCOMPARE(after.optimizer_json, before.optimizer_json);
        QCOMPARE(after.weights.size(), before.weights.size());
        for (std::size_t i = 0; i < before.weights.size(); ++i) {
            QCOMPARE(after.weights[i].name, before.weights[i].name);
            QVERIFY(same_bytes(after.weights[i].tensor, before.weights[i].tensor));
        }
        QCOMPARE(graph::int_attribute(graph::from_json(after.model_json).node(graph::from_json(after.model_json).find_node("fc1")).attributes,
                                      "out_features"),
                 std::int64_t(32));
    }

    void randomDrawsDistinctCombinations() {
        const project::Project p = small_spiral();
        const std::vector<std::string> axes = {"lr=0.1,0.01,0.001", "fc1.out_features=4,8,16"};
        std::set<std::string> grid;
        const train::Sweep full = make_sweep(p, axes);
        QCOMPARE(full.size(), std::size_t(9));
        for (std::size_t i = 0; i < full.size(); ++i) grid.insert(full.settings_json(i));
        QCOMPARE(grid.size(), std::size_t(9));

        const train::Sweep drawn = make_sweep(p, axes, 3, 42);
        QCOMPARE(drawn.size(), std::size_t(3));
        std::set<std::string> seen;
        for (std::size_t i = 0; i < drawn.size(); ++i) {
            QVERIFY(grid.contains(drawn.settings_json(i)));
            seen.insert(drawn.settings_json(i));
        }
        QCOMPARE(seen.size(), std::size_t(3));
        // The same seed draws the same runs.
        const train::Sweep again = make_sweep(p, axes, 3, 42);
        for (std::size_t i = 0; i < 3; ++i) QCOMPARE(again.settings_json(i), drawn.settings_json(i));
        // All nine is the whole grid; ten is more than it has.
        QCOMPARE(make_sweep(p, axes, 9, 1).size(), std::size_t(9));
        const std::string e = error_of([&] { make_sweep(p, axes, 10, 1); });
        QVERIFY2(e.find("10") != std::string::npos && e.find("(9)") != std::string::npos, e.c_str());
    }

    void typedValues() {
        const project::Project p = small_spiral();
        const train::Sweep s = make_sweep(p, {"optimizer=SGD", "scheduler.type=StepLR", "normalize=false",
                                              "batch_size=16", "input.shape=[2]"});
        QCOMPARE(s.settings_json(0), std::string(R"({"optimizer": "SGD", "scheduler.type": "StepLR", "normalize": false, )"
                                                 R"("batch_size": 16, "input.shape": [2]})"));
        const train::TrainConfig c = s.config(0);
        QCOMPARE(c.optimizer, std::string("SGD"));
        QCOMPARE(c.scheduler.type, std::string("StepLR"));
        QCOMPARE(c.normalize, false);
        QCOMPARE(c.batch_size, std::int64_t(16));
        QCOMPARE(c.lr, train::TrainConfig::from_json(p.train_config_json).lr);  // not swept: the project's
    }

    void errorsBeforeAnyRun() {
        const project::Project p = small_spiral();
        auto message = [&](const std::string& axis) { return error_of([&] { make_sweep(p, {axis}); }); };
        std::string e = message("learning_rate=0.1");
        QVERIFY2(e.find("unknown setting 'learning_rate'") != std::string::npos && e.find("batch_size") != std::string::npos,
                 e.c_str());
        e = message("fc9.out_features=4");
        QVERIFY2(e.find("no node 'fc9'") != std::string::npos && e.find("fc1, ") != std::string::npos &&
                     e.find("loss") != std::string::npos,
                 e.c_str());
        e = message("fc1.width=4");
        QVERIFY2(e.find("no attribute 'width'") != std::string::npos && e.find("out_features") != std::string::npos,
                 e.c_str());
        e = message("lr=fast");
        QVERIFY2(e.find("'fast'") != std::string::npos && e.find("lr") != std::string::npos, e.c_str());
        e = message("lr=-0.1");
        QVERIFY2(e.find("lr=-0.1") != std::string::npos && e.find("positive") != std::string::npos, e.c_str());
        e = message("optimizer=Adamax");
        QVERIFY2(e.find("Adamax") != std::string::npos, e.c_str());
        e = message("fc1.out_features=1.5");
        QVERIFY2(e.find("'1.5'") != std::string::npos && e.find("integer") != std::string::npos, e.c_str());
        e = message("fc1.out_features=0");
        QVERIFY2(e.find("'0'") != std::string::npos && e.find("at least 1") != std::string::npos, e.c_str());
        e = message("loss.type=HingeLoss");
        QVERIFY2(e.find("CrossEntropyLoss") != std::string::npos, e.c_str());
        e = message("lr=0.1,0.1");
        QVERIFY2(e.find("twice") != std::string::npos, e.c_str());
        e = error_of([&] { make_sweep(p, {"lr=0.1", "lr=0.2"}); });
        QVERIFY2(e.find("given twice") != std::string::npos, e.c_str());
        e = error_of([&] { make_sweep(p, {}); });
        QVERIFY2(e.find("no settings") != std::string::npos, e.c_str());
    }

    // A value the model cannot train with fails that run alone, with the reason, and the sweep goes on.
    void brokenModelFailsItsRunOnly() {
        project::Project p = small_spiral();
        const train::Sweep sweep = make_sweep(p, {"input.shape=[3],[2]"});
        const train::SweepResult r = train::run_sweep(p, sweep);
        QCOMPARE(r.runs, std::size_t(2));
        QCOMPARE(r.failed, std::size_t(1));
        QCOMPARE(p.runs.size(), std::size_t(2));
        QCOMPARE(p.runs[0].status, std::string(project::run_status::kFailed));
        const json final = json::parse(p.runs[0].final_metrics_json);
        QCOMPARE(final["status"].get<std::string>(), std::string("failed"));
        QVERIFY2(final["message"].get<std::string>().find("[3]") != std::string::npos, p.runs[0].final_metrics_json.c_str());
        QVERIFY(!p.runs[0].model_json.empty());
        QCOMPARE(p.runs[1].status, std::string(project::run_status::kCompleted));
        QVERIFY(p.runs[1].id > p.runs[0].id);
    }

    void stopEndsTheSweep() {
        project::Project p = small_spiral();
        const train::Sweep sweep = make_sweep(p, {"lr=0.1,0.01,0.001"});
        train::StopToken stop;
        train::SweepCallbacks cb;
        cb.on_run_finished = [&](std::size_t, const project::RunRecord&) { stop.request_stop(); };
        const train::SweepResult r = train::run_sweep(p, sweep, cb, &stop);
        QVERIFY(r.stopped);
        QCOMPARE(r.runs, std::size_t(1));
        QCOMPARE(p.runs.size(), std::size_t(1));

        train::StopToken early;
        early.request_stop();
        project::Project q = small_spiral();
        QVERIFY(train::run_sweep(q, sweep, {}, &early).stopped);
        QVERIFY(q.runs.empty());
    }

    void keysForTheStudio() {
        const auto keys = train::sweep_keys(small_spiral());
        auto has = [&](const char* k) { return std::find(keys.begin(), keys.end(), k) != keys.end(); };
        QVERIFY(has("lr") && has("batch_size") && has("scheduler.type") && has("fc1.out_features") && has("loss.type"));
        QVERIFY(!has("betas"));
    }
};

QTEST_APPLESS_MAIN(TestSweep)
#include "tst_sweep.moc"
