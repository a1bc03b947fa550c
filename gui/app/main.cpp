// neurastudio [PROJECT]
// neurastudio --screenshot OUT.png [--train-epochs N] [--gradcheck] [--capture] [--select NODE]
//              [--dock TITLE] [PROJECT]
//     render the main window to a PNG and exit; with --train-epochs, train N epochs first; --gradcheck
//     runs the gradient check of every layer, --capture records one batch for the inspector, --select
//     selects a node by name, --dock brings a dock to the front (by its title)
// neurastudio --script FILE [PROJECT]
//     run a screenshot script (gui/app/ScreenshotScript.h: the tutorial's steps) and exit
// neurastudio --exit-after-first-paint [PROJECT]
//     start as usual, print `first_paint MS ms` (from the process's start to the end of the main window's
//     first paint) and exit: bench/gui_start's W9. The start is NEURA_START_MONOTONIC_NS where set (the
//     launcher's CLOCK_MONOTONIC just before it started this program), else the kernel's start time of
//     the process (/proc/self/stat, in clock ticks of 10 ms).
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QDockWidget>
#include <QEventLoop>
#include <QFileInfo>
#include <QSettings>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTimer>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include "app/MainWindow.h"
#include "app/ScreenshotScript.h"
#include "app/Theme.h"
#include "document/GraphDocument.h"
#include "editor/GraphScene.h"
#include "neura/plugin/PluginManager.h"
#include "neura/Version.h"
#include "panels/GradcheckPanel.h"
#include "panels/InspectorPanel.h"
#include "panels/TrainingPanel.h"
#include "session/BackgroundTask.h"
#include "session/TrainingSession.h"

namespace {

// Errors go to stderr instead of a dialog when no one is there to click it.
class HeadlessWindow : public neura::gui::MainWindow {
protected:
    void showError(const QString& title, const QString& text) override {
        std::fprintf(stderr, "neurastudio: %s: %s\n", qPrintable(title), qPrintable(text));
    }
};

// Calls `done` once, when the widget's first paint has been handled: the posted call runs after the
// repaint that sent the paint event, which draws the children and flushes the window too.
class FirstPaintHook : public QObject {
public:
    FirstPaintHook(QWidget* widget, std::function<void()> done) : QObject(widget), done_(std::move(done)) {
        widget->installEventFilter(this);
    }

protected:
    bool eventFilter(QObject*, QEvent* e) override {
        if (e->type() == QEvent::Paint && done_) QTimer::singleShot(0, this, std::exchange(done_, {}));
        return false;
    }

private:
    std::function<void()> done_;
};

// Milliseconds since this process started (see --exit-after-first-paint above).
double msSinceProcessStart() {
    timespec now{};
    if (const char* t0 = std::getenv("NEURA_START_MONOTONIC_NS")) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (static_cast<double>(now.tv_sec) * 1e9 + static_cast<double>(now.tv_nsec) - std::strtod(t0, nullptr)) / 1e6;
    }
    std::ifstream stat("/proc/self/stat");
    const std::string text{std::istreambuf_iterator<char>(stat), {}};
    std::istringstream fields(text.substr(text.rfind(')') + 1));  // after field 2, the command's name
    std::string field;
    for (int i = 3; i <= 22; ++i) fields >> field;  // 22: starttime, clock ticks after boot
    clock_gettime(CLOCK_BOOTTIME, &now);
    const double start = std::stod(field) / static_cast<double>(sysconf(_SC_CLK_TCK));
    return (static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9 - start) * 1e3;
}

QString defaultProject() {
    for (const QString& dir : {QDir::currentPath(), QCoreApplication::applicationDirPath() + "/../..",
                               QCoreApplication::applicationDirPath() + "/.."}) {
        const QString p = QDir(dir).filePath("projects/spiral.neura");
        if (QFileInfo::exists(p)) return QFileInfo(p).absoluteFilePath();
    }
    return {};
}

// The window goes first: it stops its workers, and abandons those that do not stop in time. Those may
// still run, and the static destructors (the layer registry, the plugin libraries they use) must not
// run under them: they get a moment to end, then the program leaves without running those.
int finish(int status, std::unique_ptr<neura::gui::MainWindow>& window) {
    window.reset();
    if (neura::gui::BackgroundTask::waitForAll(3000)) return status;
    std::fprintf(stderr, "neurastudio: %d worker(s) still running at exit; leaving without waiting for them\n",
                 neura::gui::BackgroundTask::running());
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(status);
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName("NeuraStudio");
    QApplication::setApplicationName("NeuraStudio");
    QApplication::setApplicationVersion(NEURA_VERSION);

    QCommandLineParser parser;
    parser.setApplicationDescription("Build, train and check neural networks visually.");
    parser.addHelpOption();
    // --version prints the version and the licence (QCommandLineParser's own option prints only the first).
    QCommandLineOption versionOption({"v", "version"}, "Displays version and licence information.");
    parser.addOption(versionOption);
    QCommandLineOption shot("screenshot", "Render the main window to OUT.png after loading, then exit.", "OUT.png");
    parser.addOption(shot);
    QCommandLineOption trainEpochs("train-epochs", "With --screenshot: train N epochs before rendering.", "N");
    parser.addOption(trainEpochs);
    QCommandLineOption gradcheck("gradcheck", "With --screenshot: check every layer's gradients first.");
    parser.addOption(gradcheck);
    QCommandLineOption capture("capture", "With --screenshot: capture one batch for the inspector first.");
    parser.addOption(capture);
    QCommandLineOption select("select", "With --screenshot: select the node called NODE.", "NODE");
    parser.addOption(select);
    QCommandLineOption dockOption("dock", "With --screenshot: bring the dock titled TITLE to the front.", "TITLE");
    parser.addOption(dockOption);
    QCommandLineOption script("script", "Run the steps in FILE (new, add, connect, train, shot, ...) and exit.", "FILE");
    parser.addOption(script);
    QCommandLineOption dark("dark", "Use the dark theme.");
    parser.addOption(dark);
    QCommandLineOption firstPaint("exit-after-first-paint",
                                  "Print the milliseconds from start to the main window's first paint, then exit.");
    parser.addOption(firstPaint);
    parser.addPositionalArgument("project", "The .neura project to open.", "[PROJECT]");
    parser.process(app);
    if (parser.isSet(versionOption)) {
        std::printf("neurastudio %s\n%s\n", NEURA_VERSION, NEURA_LICENSE_NOTICE);
        return 0;
    }
    const QStringList args = parser.positionalArguments();
    if (args.size() > 1) {
        std::fprintf(stderr, "neurastudio: one project at most\n");
        return 2;
    }
    const bool screenshot = parser.isSet(shot) || parser.isSet(script);
    int epochs = 0;
    if (parser.isSet(trainEpochs)) {
        bool ok = false;
        epochs = parser.value(trainEpochs).toInt(&ok);
        if (!ok || epochs <= 0 || !screenshot) {
            std::fprintf(stderr, "neurastudio: --train-epochs takes a positive count, with --screenshot\n");
            return 2;
        }
    }
    for (const auto* o : {&gradcheck, &capture, &select, &dockOption})
        if (parser.isSet(*o) && !screenshot) {
            std::fprintf(stderr, "neurastudio: --%s goes with --screenshot\n", qPrintable(o->names().front()));
            return 2;
        }
    if (parser.isSet(firstPaint) && screenshot) {
        std::fprintf(stderr, "neurastudio: --exit-after-first-paint does not go with --screenshot or --script\n");
        return 2;
    }
    // --dark, or the View ▸ Dark Theme choice (not for screenshots: they show what was asked).
    if (parser.isSet(dark) || (!screenshot && QSettings().value("view/dark", false).toBool()))
        neura::gui::applyTheme(true);

    // Screenshots and scripts leave the user's settings (layout, recent files) alone: theirs are
    // temporary, and they start from the default layout.
    QTemporaryDir scratchSettings;
    if (screenshot) {
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, scratchSettings.path());
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, scratchSettings.path());
    }

    // Plugins first: the palette lists their layers, and projects using them open complete.
    auto& plugins = neura::plugin::PluginManager::instance();
    plugins.load_default();
    for (const auto& r : plugins.refused())
        std::fprintf(stderr, "neurastudio: plugin %s refused: %s\n", r.path.c_str(), r.reason.c_str());

    std::unique_ptr<neura::gui::MainWindow> window;
    if (screenshot)
        window = std::make_unique<HeadlessWindow>();
    else
        window = std::make_unique<neura::gui::MainWindow>();

    const QString project = !args.isEmpty() ? args.front() : parser.isSet(script) ? QString() : defaultProject();
    if (project.isEmpty()) {
        window->newDocument();
    } else if (!window->openFile(project)) {
        if (screenshot) return 1;  // the reason is on stderr
        window->newDocument();
    }

    if (parser.isSet(script)) {
        window->resize(1440, 900);
        window->show();
        int status = 0;
        QTimer::singleShot(0, window.get(), [&] {
            QString error;
            if (!neura::gui::ScreenshotScript::run(*window, parser.value(script), &error)) {
                std::fprintf(stderr, "neurastudio: %s\n", qPrintable(error));
                status = 1;
            }
            app.exit(status);
        });
        return finish(app.exec(), window);
    }
    if (screenshot) {
        window->resize(1440, 900);
        window->show();
        const QString out = parser.value(shot);
        int status = 0;
        if (epochs > 0) {
            // Train first, waiting in a nested loop, so the plots and the decision boundary show the
            // trained network (the window is shown: the panels update as they would for a user).
            auto* panel = window->trainingPanel();
            auto config = panel->config();
            config.epochs = epochs;
            panel->setConfig(config);
            QEventLoop loop;
            auto* session = window->session();
            QObject::connect(session, &neura::gui::TrainingSession::finished, &loop, [&] { loop.quit(); });
            QObject::connect(session, &neura::gui::TrainingSession::failed, &loop, [&] {
                status = 1;  // the reason is on stderr
                loop.quit();
            });
            window->train();
            if (session->isRunning()) loop.exec();
            if (status != 0) return status;
        }
        // Waits in a nested loop for one of two signals; false when the second (failure) came.
        auto await = [](auto* sender, auto done, auto failed) {
            QEventLoop loop;
            bool ok = true;
            QObject::connect(sender, done, &loop, [&] { loop.quit(); });
            QObject::connect(sender, failed, &loop, [&] {
                ok = false;
                loop.quit();
            });
            QTimer::singleShot(300000, &loop, [&] {
                ok = false;
                loop.quit();
            });
            loop.exec();
            return ok;
        };
        if (parser.isSet(gradcheck)) {
            auto* panel = window->gradcheckPanel();
            QTimer::singleShot(0, panel, &neura::gui::GradcheckPanel::checkAll);
            if (!await(panel, &neura::gui::GradcheckPanel::finished, &neura::gui::GradcheckPanel::failed)) return 1;
        }
        if (parser.isSet(capture)) {
            auto* inspector = window->inspector();
            QTimer::singleShot(0, window.get(), &neura::gui::MainWindow::captureBatch);
            if (!await(inspector, &neura::gui::InspectorPanel::captureReady, &neura::gui::InspectorPanel::captureFailed))
                return 1;
        }
        if (parser.isSet(dockOption)) {
            bool found = false;
            for (auto* d : window->findChildren<QDockWidget*>())
                if (d->windowTitle() == parser.value(dockOption) ||
                    d->windowTitle().startsWith(parser.value(dockOption) + QStringLiteral(" — "))) {
                    d->show();
                    d->raise();
                    found = true;
                }
            if (!found) {
                std::fprintf(stderr, "neurastudio: no dock is titled '%s'\n", qPrintable(parser.value(dockOption)));
                return 2;
            }
        }
        const QString selectName = parser.value(select);
        // Let layouts, docks and the first paint settle, then fit and grab.
        QTimer::singleShot(150, window.get(), [&] {
            window->fitView();
            // Show the properties form too: select the node asked for, or the first layer with parameters.
            const auto& doc = *window->document();
            for (const auto& [id, node] : doc.graph().nodes()) {
                const auto* s = doc.shapes().find(id);
                if (selectName.isEmpty() ? (s && s->parameters > 0) : QString::fromStdString(node.name) == selectName) {
                    window->scene()->selectNodes({id});
                    break;
                }
            }
        });
        QTimer::singleShot(400, window.get(), [&] {
            const QPixmap pixmap = window->grab();
            if (!pixmap.save(out)) {
                std::fprintf(stderr, "neurastudio: cannot write %s\n", qPrintable(out));
                status = 1;
            }
            app.exit(status);
        });
        return finish(app.exec(), window);
    }
    if (parser.isSet(firstPaint))
        new FirstPaintHook(window.get(), [&] {
            std::printf("first_paint %.1f ms\n", msSinceProcessStart());
            std::fflush(stdout);
            app.exit(0);
        });
    window->show();
    if (const auto refused = plugins.refused().size())
        window->statusBar()->showMessage(QObject::tr("%n plugin(s) refused: see Help ▸ Plugins…", "", int(refused)), 15000);
    QTimer::singleShot(0, window.get(), [&] { window->fitView(); });
    return finish(app.exec(), window);
}
