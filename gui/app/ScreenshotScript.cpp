#include "app/ScreenshotScript.h"

#include <QDir>
#include <QDockWidget>
#include <QTabWidget>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QMouseEvent>
#include <QAbstractItemView>
#include <QLabel>
#include <QApplication>
#include <QComboBox>
#include <QCoreApplication>
#include <QPixmap>
#include <QRegularExpression>
#include <QTimer>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "app/MainWindow.h"
#include "dialogs/SweepDialog.h"
#include "document/GraphDocument.h"
#include "editor/DiffOverlay.h"
#include "editor/GraphScene.h"
#include "editor/NodeItem.h"
#include "neura/graph/LayerRegistry.h"
#include "panels/DatasetPanel.h"
#include "panels/ConfusionMatrixView.h"
#include "panels/EvaluationPanel.h"
#include "panels/GradcheckPanel.h"
#include "panels/InspectorPanel.h"
#include "panels/RunsPanel.h"
#include "panels/TextPanel.h"
#include "panels/TrainingPanel.h"
#include "session/SweepSession.h"
#include "session/TrainingSession.h"

namespace neura::gui {

namespace {

// Thrown by a command; run() turns it into "line N: message".
struct ScriptError {
    QString message;
};

[[noreturn]] void fail(const QString& message) { throw ScriptError{message}; }

// Runs the event loop until `done` or `failed` is emitted (or ten minutes pass); false unless `done`.
template <class Sender, class Done, class Failed>
bool await(Sender* sender, Done done, Failed failed, const std::function<void()>& start) {
    QEventLoop loop;
    bool ok = false;
    auto a = QObject::connect(sender, done, &loop, [&] {
        ok = true;
        loop.quit();
    });
    auto b = QObject::connect(sender, failed, &loop, [&] { loop.quit(); });
    QTimer::singleShot(600000, &loop, &QEventLoop::quit);
    QTimer::singleShot(0, &loop, start);
    loop.exec();
    QObject::disconnect(a);
    QObject::disconnect(b);
    return ok;
}

void settle(int ms) {
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

std::pair<QString, QString> keyValue(const QString& word) {
    const qsizetype eq = word.indexOf(QLatin1Char('='));
    if (eq <= 0) fail(QStringLiteral("expected key=value, got '%1'").arg(word));
    return {word.left(eq), word.mid(eq + 1)};
}

graph::AttributeValue parseAttribute(const graph::LayerDescriptor& d, const QString& name, const QString& text) {
    const graph::AttributeSpec* spec = d.find_attribute(name.toStdString());
    if (!spec) fail(QStringLiteral("%1 has no attribute '%2'").arg(QString::fromStdString(d.type), name));
    bool ok = true;
    switch (spec->type) {
        case graph::AttributeType::Int: {
            const qlonglong v = text.toLongLong(&ok);
            if (ok) return std::int64_t{v};
            break;
        }
        case graph::AttributeType::Float: {
            const double v = text.toDouble(&ok);
            if (ok) return v;
            break;
        }
        case graph::AttributeType::Bool:
            if (text == "true" || text == "false") return text == "true";
            ok = false;
            break;
        case graph::AttributeType::Choice: return text.toStdString();
        case graph::AttributeType::IntList: {
            std::vector<std::int64_t> list;
            for (const QString& part : text.split(QLatin1Char(','))) {
                list.push_back(part.toLongLong(&ok));
                if (!ok) break;
            }
            if (ok) return list;
            break;
        }
    }
    fail(QStringLiteral("'%1' is not a valid %2 for %3").arg(text, graph::attribute_type_name(spec->type), name));
}

class Runner {
public:
    Runner(MainWindow& w, QDir base) : w_(w), base_(std::move(base)) {}

    void command(const QStringList& words) {
        const QString& c = words.front();
        const QStringList args = words.mid(1);
        auto need = [&](qsizetype n) {
            if (args.size() < n) fail(QStringLiteral("'%1' needs %2 argument(s)").arg(c).arg(n));
        };
        if (c == "new") {
            w_.newDocument();
        } else if (c == "open") {
            need(1);
            if (!w_.openFile(path(args[0]))) fail(QStringLiteral("cannot open %1").arg(args[0]));
        } else if (c == "dataset") {
            need(1);
            data::DatasetParams params;
            for (const QString& kv : args.mid(1)) {
                const auto [k, v] = keyValue(kv);
                params[k.toStdString()] = v.toStdString();
            }
            if (!w_.datasetPanel()->setDataset(args[0], params, true)) fail(QStringLiteral("no dataset called '%1'").arg(args[0]));
        } else if (c == "add") {
            need(4);
            const auto* d = graph::LayerRegistry::instance().find(args[0].toStdString());
            if (!d) fail(QStringLiteral("no layer type '%1'").arg(args[0]));
            graph::AttributeMap attrs;
            for (const QString& kv : args.mid(4)) {
                const auto [k, v] = keyValue(kv);
                attrs[k.toStdString()] = parseAttribute(*d, k, v);
            }
            const NodeId id = doc().addNode(args[0], QPointF(number(args[2]), number(args[3])), attrs);
            if (!id.valid() || !doc().rename(id, args[1])) fail(QStringLiteral("cannot add %1 '%2'").arg(args[0], args[1]));
        } else if (c == "connect") {
            need(2);
            const graph::PortRef from{node(args[0]), graph::PortIndex{0}};
            const graph::PortRef to{node(args[1]),
                                    graph::PortIndex{static_cast<graph::PortIndex::Rep>(args.size() > 2 ? number(args[2]) : 0)}};
            const QString problem = doc().connectionProblem(from, to);
            if (!problem.isEmpty() || !doc().connectPorts(from, to).valid())
                fail(QStringLiteral("cannot connect %1 to %2: %3").arg(args[0], args[1], problem));
        } else if (c == "disconnect") {
            need(2);
            const NodeId from = node(args[0]), to = node(args[1]);
            std::vector<EdgeId> edges;
            for (const auto& [id, e] : doc().graph().edges())
                if (e.from.node == from && e.to.node == to) edges.push_back(id);
            if (edges.empty() || !doc().disconnectEdges(edges))
                fail(QStringLiteral("no edge from %1 to %2 to delete").arg(args[0], args[1]));
        } else if (c == "delete") {
            need(1);
            std::vector<NodeId> ids;
            for (const QString& n : args) ids.push_back(node(n));
            if (!doc().removeNodes(ids)) fail(QStringLiteral("cannot delete %1").arg(args.join(QLatin1Char(' '))));
        } else if (c == "set") {
            need(2);
            const NodeId id = node(args[0]);
            const auto* d = graph::LayerRegistry::instance().find(doc().graph().node(id).type);
            for (const QString& kv : args.mid(1)) {
                const auto [k, v] = keyValue(kv);
                if (!doc().setAttribute(id, k.toStdString(), parseAttribute(*d, k, v)))
                    fail(QStringLiteral("cannot set %1 of %2").arg(k, args[0]));
            }
        } else if (c == "config") {
            need(1);
            train::TrainConfig config = w_.trainingPanel()->config();
            for (const QString& kv : args) {
                const auto [k, v] = keyValue(kv);
                if (k == "epochs") config.epochs = static_cast<std::int64_t>(number(v));
                else if (k == "batch_size") config.batch_size = static_cast<std::int64_t>(number(v));
                else if (k == "lr") config.lr = number(v);
                else if (k == "seed") config.seed = static_cast<std::uint64_t>(number(v));
                else if (k == "normalize") config.normalize = v == QLatin1String("true") || v == QLatin1String("1");
                else if (k == "optimizer") config.optimizer = v.toStdString();
                else fail(QStringLiteral("config: unknown key '%1'").arg(k));
            }
            w_.trainingPanel()->setConfig(config);
        } else if (c == "train") {
            auto* s = w_.session();
            QObject::connect(s, &TrainingSession::finished, &w_, [this](const TrainingResult& r) { last_ = r; },
                             Qt::SingleShotConnection);
            if (!await(s, &TrainingSession::finished, &TrainingSession::failed, [this] { w_.train(); }))
                fail(QStringLiteral("training failed or did not start"));
        } else if (c == "gradcheck") {
            auto* g = w_.gradcheckPanel();
            if (!await(g, &GradcheckPanel::finished, &GradcheckPanel::failed, [g] { g->checkAll(); }))
                fail(QStringLiteral("the gradient check failed"));
        } else if (c == "generate") {
            // Leading key=value words are options; the rest, joined by spaces, is the prompt.
            auto* t = w_.textPanel();
            train::GenerateOptions o = t->options();
            qsizetype i = 0;
            for (; i < args.size() && args[i].contains(QLatin1Char('=')); ++i) {
                const auto [k, v] = keyValue(args[i]);
                if (k == "temperature") o.temperature = number(v);
                else if (k == "top_k") o.top_k = static_cast<std::int64_t>(number(v));
                else if (k == "top_p") o.top_p = number(v);
                else if (k == "length") o.length = static_cast<std::int64_t>(number(v));
                else if (k == "seed") o.seed = static_cast<std::uint64_t>(number(v));
                else fail(QStringLiteral("generate: unknown key '%1'").arg(k));
            }
            o.prompt = args.mid(i).join(QLatin1Char(' ')).toStdString();
            t->setOptions(o);
            if (!await(t, &TextPanel::finished, &TextPanel::failed, [t] { t->generate(); }))
                fail(QStringLiteral("text generation failed: %1").arg(t->statusText()));
        } else if (c == "evaluate") {
            auto* e = w_.evaluationPanel();
            if (!args.isEmpty()) {
                const QString split = args[0] == "train" || args[0] == "training" ? QStringLiteral("train") : QStringLiteral("val");
                e->setSplit(split);
            }
            if (!await(e, &EvaluationPanel::finished, &EvaluationPanel::failed, [e] { e->evaluate(); }))
                fail(QStringLiteral("evaluation failed: %1").arg(e->statusText()));
        } else if (c == "cell") {
            need(2);
            auto* e = w_.evaluationPanel();
            if (!e->result()) fail(QStringLiteral("cell: nothing is evaluated yet (run 'evaluate' first)"));
            selectTab(e->tabs(), QStringLiteral("Confusion matrix"));
            settle(50);
            const int t = classIndex(args[0]), p = classIndex(args[1]);
            // A real click on the cell, as a user would make it.
            auto* view = e->confusionView();
            const QPointF at = view->cellRect(t, p).center();
            QMouseEvent press(QEvent::MouseButtonPress, at, view->mapToGlobal(at), Qt::LeftButton, Qt::LeftButton, Qt::NoModifier);
            QCoreApplication::sendEvent(view, &press);
            if (view->selectedTruth() != t || view->selectedPredicted() != p)
                fail(QStringLiteral("cell: clicking %1, %2 did not select it").arg(args[0], args[1]));
        } else if (c == "saliency") {
            // saliency SAMPLE|first [ig|gxi]: SAMPLE indexes the split; 'first' is the clicked cell's first sample.
            need(1);
            auto* e = w_.evaluationPanel();
            if (!e->result()) fail(QStringLiteral("saliency: nothing is evaluated yet (run 'evaluate' first)"));
            std::int64_t sample = 0;
            if (args[0] == "first") {
                const auto rows = e->listedRows();
                if (rows.empty()) fail(QStringLiteral("saliency first: the clicked cell lists no sample"));
                e->sampleView()->setCurrentIndex(e->sampleView()->model()->index(0, 0));
                sample = e->result()->evaluation.row_sample[static_cast<std::size_t>(rows.front())];
            } else {
                sample = static_cast<std::int64_t>(number(args[0]));
            }
            const auto method = args.size() > 1 && (args[1] == "gxi" || args[1] == "gradient")
                                    ? eval::SaliencyMethod::GradientTimesInput
                                    : eval::SaliencyMethod::IntegratedGradients;
            selectTab(e->tabs(), QStringLiteral("Saliency"));
            settle(50);
            e->showSaliency(sample, method);
            if (!e->saliency()) fail(QStringLiteral("saliency: %1").arg(e->saliencyText()));
        } else if (c == "capture") {
            auto* i = w_.inspector();
            if (!await(i, &InspectorPanel::captureReady, &InspectorPanel::captureFailed, [this] { w_.captureBatch(); }))
                fail(QStringLiteral("capturing a batch failed"));
        } else if (c == "export") {
            need(1);
            if (!w_.exportOnnxTo(outputPath(args[0]))) fail(QStringLiteral("the ONNX export to %1 failed").arg(args[0]));
        } else if (c == "save") {
            need(1);
            if (!w_.saveTo(outputPath(args[0]))) fail(QStringLiteral("saving %1 failed").arg(args[0]));
        } else if (c == "select") {
            std::vector<NodeId> ids;
            for (const QString& n : args) ids.push_back(node(n));
            w_.scene()->selectNodes(ids);
        } else if (c == "dock" || c == "hide") {
            need(1);
            const QString title = args.join(QLatin1Char(' '));
            QDockWidget* dock = nullptr;
            for (auto* d : w_.findChildren<QDockWidget*>())  // "Issues" also finds "Issues — 1 error"
                if (d->windowTitle() == title || d->windowTitle().startsWith(title + QStringLiteral(" — "))) dock = d;
            if (!dock) fail(QStringLiteral("no dock titled '%1'").arg(title));
            if (c == "hide") {
                dock->close();
            } else {
                dock->show();
                dock->raise();
            }
        } else if (c == "tab") {
            need(1);
            const QString title = args.join(QLatin1Char(' '));
            bool found = false;
            for (auto* tabs : w_.findChildren<QTabWidget*>())
                for (int i = 0; i < tabs->count() && !found; ++i)
                    if (tabs->tabText(i).remove(QLatin1Char('&')) == title) {
                        tabs->setCurrentIndex(i);
                        found = true;
                    }
            if (!found) fail(QStringLiteral("no tab titled '%1'").arg(title));
        } else if (c == "float") {
            need(3);
            QDockWidget* dock = dockTitled(args[0]);
            dock->setFloating(true);
            dock->show();
            dock->resize(static_cast<int>(number(args[1])), static_cast<int>(number(args[2])));
        } else if (c == "layout") {
            doc().autoLayout();
        } else if (c == "fit") {
            settle(50);
            w_.fitView();
        } else if (c == "expect") {
            need(3);
            expect(args);
        } else if (c == "sweep") {
            sweep(args);
        } else if (c == "runs") {
            need(2);
            auto* r = w_.runsPanel();
            if (args[0] == "select") {
                std::vector<int> indices;
                for (const QString& id : args.mid(1)) indices.push_back(runIndex(id));
                r->selectRuns(indices);
            } else if (args[0] == "tab") {
                const QString title = args.mid(1).join(QLatin1Char(' '));
                bool found = false;
                for (auto* tabs : r->findChildren<QTabWidget*>())
                    for (int i = 0; i < tabs->count() && !found; ++i)
                        if (tabs->tabText(i).remove(QLatin1Char('&')) == title) {
                            tabs->setCurrentIndex(i);
                            found = true;
                        }
                if (!found) fail(QStringLiteral("the Runs dock has no tab titled '%1'").arg(title));
            } else if (args[0] == "against") {
                const int i = r->chartAxisChoice()->findData(args[1]);
                if (i < 0) fail(QStringLiteral("runs against: 'time' or 'macs', not '%1'").arg(args[1]));
                r->chartAxisChoice()->setCurrentIndex(i);
            } else {
                fail(QStringLiteral("runs: 'select', 'tab' or 'against', not '%1'").arg(args[0]));
            }
        } else if (c == "use-run") {
            need(1);
            if (!w_.useRunSettings(runIndex(args[0])))
                fail(QStringLiteral("cannot use run %1's settings").arg(args[0]));
        } else if (c == "compare-runs") {
            need(2);
            if (!w_.compareRuns(runIndex(args[0]), runIndex(args[1])))
                fail(QStringLiteral("cannot compare the models of runs %1 and %2").arg(args[0], args[1]));
        } else if (c == "compare") {
            need(1);
            if (!w_.compareWithFile(path(args[0]))) fail(QStringLiteral("cannot compare with %1").arg(args[0]));
        } else if (c == "leave-compare") {
            w_.diffOverlay()->leave();
        } else if (c == "close") {
            need(1);
            topLevelTitled(args.join(QLatin1Char(' ')))->close();
        } else if (c == "shot") {
            need(1);
            settle(250);  // layouts, docks and queued replots
            const QString file = outputPath(args[0]);
            QWidget* what = args.size() > 1 ? windowOrDock(args.mid(1).join(QLatin1Char(' '))) : &w_;
            if (!what->grab().save(file)) fail(QStringLiteral("cannot write %1").arg(file));
        } else {
            fail(QStringLiteral("unknown command '%1'").arg(c));
        }
    }

private:
    GraphDocument& doc() { return *w_.document(); }
    QString path(const QString& p) const { return base_.absoluteFilePath(p); }
    // A file to write: its folder is made when missing (a user would pick an existing one).
    QString outputPath(const QString& p) const {
        const QString file = path(p);
        QDir().mkpath(QFileInfo(file).absolutePath());
        return file;
    }

    static double number(const QString& text) {
        bool ok = false;
        const double v = text.toDouble(&ok);
        if (!ok) fail(QStringLiteral("'%1' is not a number").arg(text));
        return v;
    }

    QDockWidget* dockTitled(const QString& title) {
        for (auto* d : w_.findChildren<QDockWidget*>())
            if (d->windowTitle() == title) return d;
        fail(QStringLiteral("no dock titled '%1'").arg(title));
    }

    // A dialog of the window shown now (the Sweep dialog), by its title.
    static QWidget* topLevelTitled(const QString& title) {
        for (QWidget* t : QApplication::topLevelWidgets())
            if (t->isVisible() && t->windowTitle() == title) return t;
        fail(QStringLiteral("no window titled '%1' is open").arg(title));
    }

    QWidget* windowOrDock(const QString& title) {
        for (auto* d : w_.findChildren<QDockWidget*>())
            if (d->windowTitle() == title) return d;
        return topLevelTitled(title);
    }

    // A run by the number the Runs dock shows ("Run 3": 3), as an index into the project's runs.
    int runIndex(const QString& word) {
        const auto& runs = w_.runsPanel()->runs();
        const auto id = static_cast<std::int64_t>(number(word));
        for (std::size_t i = 0; i < runs.size(); ++i)
            if (runs[i].id > 0 ? runs[i].id == id : static_cast<std::int64_t>(i) + 1 == id) return static_cast<int>(i);
        fail(QStringLiteral("no run %1 (the project has %2 runs)").arg(word).arg(runs.size()));
    }

    // sweep [epochs=N] [random=N] [seed=S] KEY=V1,V2 ...: Train ▸ Sweep…'s form filled in and started; waits
    // for the sweep's end. Fails when it does not start or a run fails.
    void sweep(const QStringList& args) {
        SweepDialog* d = SweepDialog::showFor(&w_);
        std::vector<std::pair<QString, QString>> rows;
        int random = 0, seed = 0, epochs = -1;
        for (const QString& kv : args) {
            const auto [k, v] = keyValue(kv);
            if (k == "epochs") epochs = static_cast<int>(number(v));
            else if (k == "random") random = static_cast<int>(number(v));
            else if (k == "seed") seed = static_cast<int>(number(v));
            else rows.emplace_back(k, v);
        }
        if (rows.empty()) fail(QStringLiteral("sweep: no KEY=V1,V2 to vary"));
        d->setRowCount(static_cast<int>(rows.size()));
        for (std::size_t i = 0; i < rows.size(); ++i) d->setRow(static_cast<int>(i), rows[i].first, rows[i].second);
        d->setRandom(random, seed);
        if (epochs > 0) d->setEpochs(epochs);
        SweepSession* s = w_.sweepSession();
        QEventLoop loop;
        int failedRuns = -1;
        QString problem;
        auto a = QObject::connect(s, &SweepSession::finished, &loop, [&](int, int failed, bool) {
            failedRuns = failed;
            loop.quit();
        });
        auto b = QObject::connect(s, &SweepSession::failed, &loop, [&](const QString& message) {
            problem = message;
            loop.quit();
        });
        if (!d->start()) {
            QObject::disconnect(a);
            QObject::disconnect(b);
            fail(QStringLiteral("sweep: %1").arg(d->statusLabel()->text()));
        }
        QTimer::singleShot(600000, &loop, &QEventLoop::quit);
        loop.exec();
        QObject::disconnect(a);
        QObject::disconnect(b);
        if (!problem.isEmpty()) fail(QStringLiteral("sweep: %1").arg(problem));
        if (failedRuns < 0) fail(QStringLiteral("sweep: it did not end in ten minutes"));
        if (failedRuns > 0) fail(QStringLiteral("sweep: %1 run(s) failed").arg(failedRuns));
    }

    static void selectTab(QTabWidget* tabs, const QString& title) {
        for (int i = 0; i < tabs->count(); ++i)
            if (tabs->tabText(i) == title) tabs->setCurrentIndex(i);
    }

    // A class by name ("setosa") or index ("2") in the last evaluation.
    int classIndex(const QString& word) {
        const auto& names = w_.evaluationPanel()->result()->evaluation.class_names;
        for (std::size_t i = 0; i < names.size(); ++i)
            if (QString::fromStdString(names[i]) == word) return static_cast<int>(i);
        bool ok = false;
        const int i = word.toInt(&ok);
        if (!ok || i < 0 || i >= static_cast<int>(names.size())) fail(QStringLiteral("no class '%1'").arg(word));
        return i;
    }

    NodeId node(const QString& name) {
        for (const auto& [id, n] : doc().graph().nodes())
            if (QString::fromStdString(n.name) == name) return id;
        fail(QStringLiteral("no node called '%1'").arg(name));
    }

    void expect(const QStringList& a) {
        const QString what = a[0];
        if (what == "accuracy" || what == "val_accuracy" || what == "loss") {
            if (!last_ || last_->history.empty()) fail(QStringLiteral("expect %1: no run has finished").arg(what));
            const auto& m = last_->history.back();
            const double v = what == "accuracy" ? m.train_accuracy : what == "val_accuracy" ? m.val_accuracy : m.train_loss;
            const double bound = number(a[2]);
            const bool ok = a[1] == ">" ? v > bound : a[1] == "<" ? v < bound : (fail(QStringLiteral("expect: OP is > or <")), false);
            if (!ok) fail(QStringLiteral("expected %1 %2 %3, got %4").arg(what, a[1], a[2]).arg(v));
            return;
        }
        const NodeId id = node(what);
        const QString text = a.mid(2).join(QLatin1Char(' '));
        const NodeItem* item = w_.scene()->nodeItem(id);
        QString shown;
        if (a[1] == "shape") shown = item->shapeLabel();
        else if (a[1] == "params") shown = item->parameterLabel();
        else if (a[1] == "error")
            for (const auto& d : doc().diagnosticsFor(id)) shown += QString::fromStdString(d.message) + "\n";
        else fail(QStringLiteral("expect: unknown property '%1'").arg(a[1]));
        if (!shown.contains(text)) fail(QStringLiteral("expected %1's %2 to show '%3', it shows '%4'").arg(what, a[1], text, shown.trimmed()));
    }

    MainWindow& w_;
    QDir base_;
    std::optional<TrainingResult> last_;
};

}  // namespace

bool ScreenshotScript::run(MainWindow& window, const QString& path, QString* error) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly | QIODevice::Text)) {
        if (error) *error = QStringLiteral("cannot read %1: %2").arg(path, f.errorString());
        return false;
    }
    Runner runner(window, QDir::current());
    int lineNo = 0;
    while (!f.atEnd()) {
        ++lineNo;
        QString line = QString::fromUtf8(f.readLine());
        if (const qsizetype hash = line.indexOf(QLatin1Char('#')); hash >= 0) line.truncate(hash);
        const QStringList words = line.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts);
        if (words.isEmpty()) continue;
        try {
            runner.command(words);
        } catch (const ScriptError& e) {
            if (error) *error = QStringLiteral("%1:%2: %3").arg(QFileInfo(path).fileName()).arg(lineNo).arg(e.message);
            return false;
        } catch (const std::exception& e) {
            if (error) *error = QStringLiteral("%1:%2: %3").arg(QFileInfo(path).fileName()).arg(lineNo).arg(e.what());
            return false;
        }
    }
    return true;
}

}  // namespace neura::gui
