// gui_stall: how responsive the studio's event loop stays while a network trains.
//
// A 10 ms QTimer (Qt::PreciseTimer) runs on the GUI thread next to the real training panel, plots and
// decision-boundary view wired to a TrainingSession, as the main window wires them. Each tick's
// lateness (time since the previous tick minus 10 ms) is a stall of the event loop. Reported: max,
// p99, p50 and mean lateness, first while idle (baseline), then while digits-cnn trains
// (Input [1,8,8] → Conv2d(16,3,p=1) → ReLU → MaxPool2d(2) → Conv2d(32,3,p=1) → ReLU → MaxPool2d(2)
// → Flatten → Linear(10), CrossEntropyLoss, on digits with image=true).
//
//   QT_QPA_PLATFORM=offscreen gui_stall [--seconds S] [--idle-seconds S] [--bare] [--json]
#include <QApplication>
#include <QElapsedTimer>
#include <QSplitter>
#include <QTimer>
#include <qcustomplot.h>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "neura/train/Experiment.h"
#include "panels/DecisionBoundaryView.h"
#include "panels/PlotsPanel.h"
#include "panels/TrainingPanel.h"
#include "session/TrainingSession.h"

using namespace neura;

namespace {

const char* kDigitsCnn = R"({"format_version": 1,
 "nodes": [
  {"id": 0, "type": "Input", "name": "input", "attributes": {"shape": [1, 8, 8]}},
  {"id": 1, "type": "Conv2d", "name": "conv1", "attributes": {"out_channels": 16, "kernel_size": [3, 3], "padding": [1, 1]}},
  {"id": 2, "type": "ReLU", "name": "relu1", "attributes": {}},
  {"id": 3, "type": "MaxPool2d", "name": "pool1", "attributes": {"kernel_size": [2, 2]}},
  {"id": 4, "type": "Conv2d", "name": "conv2", "attributes": {"out_channels": 32, "kernel_size": [3, 3], "padding": [1, 1]}},
  {"id": 5, "type": "ReLU", "name": "relu2", "attributes": {}},
  {"id": 6, "type": "MaxPool2d", "name": "pool2", "attributes": {"kernel_size": [2, 2]}},
  {"id": 7, "type": "Flatten", "name": "flatten1", "attributes": {}},
  {"id": 8, "type": "Linear", "name": "fc1", "attributes": {"out_features": 10}},
  {"id": 9, "type": "Loss", "name": "loss", "attributes": {"type": "CrossEntropyLoss"}}
 ],
 "edges": [
  {"from": {"node": 0, "port": 0}, "to": {"node": 1, "port": 0}},
  {"from": {"node": 1, "port": 0}, "to": {"node": 2, "port": 0}},
  {"from": {"node": 2, "port": 0}, "to": {"node": 3, "port": 0}},
  {"from": {"node": 3, "port": 0}, "to": {"node": 4, "port": 0}},
  {"from": {"node": 4, "port": 0}, "to": {"node": 5, "port": 0}},
  {"from": {"node": 5, "port": 0}, "to": {"node": 6, "port": 0}},
  {"from": {"node": 6, "port": 0}, "to": {"node": 7, "port": 0}},
  {"from": {"node": 7, "port": 0}, "to": {"node": 8, "port": 0}},
  {"from": {"node": 8, "port": 0}, "to": {"node": 9, "port": 0}}
 ]})";

struct Stats {
    std::size_t ticks = 0;
    double max = 0, p99 = 0, p50 = 0, mean = 0;
};

Stats stats_of(std::vector<double> late) {
    Stats s;
    s.ticks = late.size();
    if (late.empty()) return s;
    std::sort(late.begin(), late.end());
    auto pct = [&](double q) { return late[std::min(late.size() - 1, static_cast<std::size_t>(q * static_cast<double>(late.size())))]; };
    s.max = late.back();
    s.p99 = pct(0.99);
    s.p50 = pct(0.50);
    s.mean = std::accumulate(late.begin(), late.end(), 0.0) / static_cast<double>(late.size());
    return s;
}

// Runs the event loop for `seconds` (or until `stopWhen` says so) with a 10 ms timer; returns lateness in ms.
template <class Stop>
std::vector<double> measure(double seconds, Stop stopWhen) {
    std::vector<double> late;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    tick.setInterval(10);
    QElapsedTimer clock, total;
    QEventLoop loop;
    QObject::connect(&tick, &QTimer::timeout, [&] {
        const double dt = static_cast<double>(clock.nsecsElapsed()) / 1e6;
        clock.restart();
        late.push_back(std::max(0.0, dt - 10.0));
        if (total.elapsed() >= seconds * 1000.0 || stopWhen()) loop.quit();
    });
    clock.start();
    total.start();
    tick.start();
    loop.exec();
    if (!late.empty()) late.erase(late.begin());  // the first interval includes the loop's start
    return late;
}

void print(const char* what, const Stats& s) {
    std::printf("%-10s ticks %6zu   max %8.2f ms   p99 %7.2f ms   p50 %6.2f ms   mean %6.2f ms\n", what, s.ticks, s.max,
                s.p99, s.p50, s.mean);
}

}  // namespace

int main(int argc, char** argv) {
    double seconds = 10.0, idleSeconds = 2.0;
    bool json = false, bare = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = std::atof(argv[++i]);
        else if (!std::strcmp(argv[i], "--idle-seconds") && i + 1 < argc) idleSeconds = std::atof(argv[++i]);
        else if (!std::strcmp(argv[i], "--json")) json = true;
        else if (!std::strcmp(argv[i], "--bare")) bare = true;  // no panels: the session's own cost
    }
    QApplication app(argc, argv);

    // What the main window shows while training: setup + progress, live plots, (empty) boundary view.
    QSplitter window;
    auto* panel = new gui::TrainingPanel;
    auto* plots = new gui::PlotsPanel;
    auto* boundary = new gui::DecisionBoundaryView;
    window.addWidget(panel);
    window.addWidget(plots);
    window.addWidget(boundary);
    window.resize(1400, 800);
    window.show();  // under QT_QPA_PLATFORM=offscreen it still lays out and paints

    gui::TrainingSession session;
    if (!bare) {
        panel->attachSession(&session);
        QObject::connect(&session, &gui::TrainingSession::epochFinished, plots, &gui::PlotsPanel::addEpoch);
        QObject::connect(&session, &gui::TrainingSession::boundaryUpdated, boundary, &gui::DecisionBoundaryView::setGrid);
    }
    std::int64_t steps = 0, samples = 0;
    double sps = 0;
    QObject::connect(&session, &gui::TrainingSession::stepProgress, [&](const gui::TrainingProgress& p) {
        steps = p.globalStep + 1;
        sps = p.samplesPerSecond;
    });
    std::vector<double> replots;  // ms per plots replot: the biggest piece of GUI work while training
    QObject::connect(plots->plot(), &QCustomPlot::afterReplot, [&] { replots.push_back(plots->plot()->replotTime()); });
    std::int64_t epochs = 0;
    QObject::connect(&session, &gui::TrainingSession::epochFinished, [&](const train::EpochMetrics&) { ++epochs; });
    QObject::connect(&session, &gui::TrainingSession::failed, [&](const QString& m) {
        std::fprintf(stderr, "training failed: %s\n", qPrintable(m));
    });

    const Stats idle = stats_of(measure(idleSeconds, [] { return false; }));

    project::Project p;
    p.model_json = kDigitsCnn;
    p.dataset_json = R"({"name": "digits", "params": {"image": "true"}})";
    train::TrainConfig c;
    c.epochs = 100000;  // stopped after `seconds`
    c.batch_size = 32;
    c.optimizer = "Adam";
    c.lr = 0.003;
    c.seed = 1;
    c.val_fraction = 0.2;
    QElapsedTimer wall;
    wall.start();
    session.start(p, c);
    const Stats busy = stats_of(measure(seconds, [&] { return !session.isRunning(); }));
    const double trained = static_cast<double>(wall.elapsed()) / 1000.0;
    QElapsedTimer stopClock;
    stopClock.start();
    session.stop();
    session.wait();
    const double stopMs = static_cast<double>(stopClock.nsecsElapsed()) / 1e6;
    QCoreApplication::processEvents();
    samples = steps * c.batch_size;

    const Stats replot = stats_of(replots);
    if (json) {
        std::printf("{\"idle\": {\"ticks\": %zu, \"max_ms\": %.3f, \"p99_ms\": %.3f, \"p50_ms\": %.3f, \"mean_ms\": %.3f},\n"
                    " \"training\": {\"ticks\": %zu, \"max_ms\": %.3f, \"p99_ms\": %.3f, \"p50_ms\": %.3f, \"mean_ms\": %.3f},\n"
                    " \"seconds\": %.2f, \"steps\": %lld, \"epochs\": %lld, \"samples_per_second\": %.0f, \"stop_ms\": %.2f}\n",
                    idle.ticks, idle.max, idle.p99, idle.p50, idle.mean, busy.ticks, busy.max, busy.p99, busy.p50,
                    busy.mean, trained, static_cast<long long>(steps), static_cast<long long>(epochs), sps, stopMs);
    } else {
        std::printf("10 ms QTimer lateness on the GUI thread (digits-cnn, batch 32, Adam)\n");
        print("idle", idle);
        print("training", busy);
        std::printf("trained %.1f s: %lld steps, %lld epochs, ~%.0f samples/s (last report), %lld samples; stop took %.1f ms\n",
                    trained, static_cast<long long>(steps), static_cast<long long>(epochs), sps,
                    static_cast<long long>(samples), stopMs);
        std::printf("plots: %zu replots, max %.2f ms, p50 %.2f ms, mean %.2f ms\n", replot.ticks, replot.max, replot.p50,
                    replot.mean);
    }
    return 0;
}
