// The installed layout, run as a user would run it: `cmake --install` of this build tree into a
// temporary prefix (the same rules CPack packs into the .deb and .tar.gz, see installer/), then the
// INSTALLED binaries: `neura --version`, `neura create` + `neura train` on an installed example with
// NEURA_DATA_DIR unset (so the datasets come from <prefix>/share/neurastudio/datasets), and the
// studio's --version and offscreen --screenshot. A file missing from the package fails here.
#include <QtTest>

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>

#include "common/TestSupport.h"
#include "neura/backend/Cuda.h"

#ifndef NEURA_BUILD_DIR  // installer/CMakeLists.txt defines it; otherwise <build>/engine/neura → <build>
#define NEURA_BUILD_DIR ""
#endif

namespace {

using Result = neura::test::ProcessResult;

QString buildDir() {
    const QString defined = QStringLiteral(NEURA_BUILD_DIR);
    if (!defined.isEmpty()) return defined;
    return QFileInfo(QStringLiteral(NEURA_CLI_PATH)).absoluteDir().absoluteFilePath("..");
}

QString cmakeCommand() {
#ifdef NEURA_CMAKE_COMMAND
    return QStringLiteral(NEURA_CMAKE_COMMAND);
#else
    return QStandardPaths::findExecutable("cmake");
#endif
}

Result run(const QString& program, const QStringList& args, const QString& config_home,
           int timeout_ms = neura::test::kHangGuardMs,
           const QString& working_dir = {}) {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove("NEURA_DATA_DIR");  // the installed datasets must be found on their own
    env.remove("NEURA_PLUGIN_PATH");  // and the installed plugins
    env.insert("QT_QPA_PLATFORM", "offscreen");
    env.insert("XDG_CONFIG_HOME", config_home);  // keep the studio's QSettings out of the real home
    env.insert("XDG_DATA_HOME", config_home + "/data");  // and the user's plugin folder
    // A plugin is built with the compiler NeuraStudio was built with (the SDK warns otherwise): the
    // default one here, clang in the sanitizer build.
    env.insert("CC", NEURA_C_COMPILER);
    env.insert("CXX", NEURA_CXX_COMPILER);
    return neura::test::run_process(program, args, timeout_ms, env, working_dir);
}

QString describe(const Result& r) { return QString("exit %1\nstdout: %2\nstderr: %3").arg(r.code).arg(r.out, r.err); }

}  // namespace

class TestInstall : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString prefix_, work_, config_;

    QString installed(const QString& rel) const { return prefix_ + "/" + rel; }
    QString neura() const { return installed("bin/neura"); }
    QString examples() const { return installed("share/neurastudio/projects"); }

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        prefix_ = tmp_.filePath("prefix");
        work_ = tmp_.filePath("work");
        config_ = tmp_.filePath("config");
        QVERIFY(QDir().mkpath(work_));
        QVERIFY(QDir().mkpath(config_));
        const QString cmake = cmakeCommand();
        QVERIFY2(!cmake.isEmpty(), "cmake not found");
        const Result r = run(cmake, {"--install", buildDir(), "--prefix", prefix_}, config_);
        QVERIFY2(r.code == 0, qPrintable(describe(r)));
    }

    void layout_data() {
        QTest::addColumn<QString>("path");
        for (const char* p : {"bin/neura", "include/neura/neura.h", "share/doc/neurastudio/README.md",
                              "share/doc/neurastudio/LICENSE", "share/doc/neurastudio/copyright",
                              "share/neurastudio/projects/make_examples.sh",
                              "share/neurastudio/projects/src/iris.model.json",
                              "share/neurastudio/projects/src/iris.config.json",
                              "share/neurastudio/projects/iris.neura", "share/neurastudio/datasets/README.md",
                              "include/neura_plugin.h", "include/neura/Version.h", "include/neura/plugin/PluginApi.h",
                              "lib/cmake/NeuraStudioPluginSDK/NeuraStudioPluginSDKConfig.cmake",
                              "lib/cmake/NeuraStudioPluginSDK/NeuraStudioPluginSDKConfigVersion.cmake",
                              "lib/cmake/NeuraStudioPluginSDK/NeuraPlugin.cmake", "lib/neurastudio/plugins/swish.so",
                              "lib/neurastudio/plugins/rmsnorm.so", "lib/neurastudio/plugins/mish.so"})
            QTest::newRow(p) << QString(p);
        if (neura::cuda::built_with_cuda())  // the CUDA backend's module, which the installed programs open
            QTest::newRow("lib/neurastudio/libneura_cuda.so") << QString("lib/neurastudio/libneura_cuda.so");
#ifdef NEURA_WITH_GUI
        for (const char* p : {"bin/neurastudio", "share/applications/neurastudio.desktop",
                              "share/mime/packages/neurastudio.xml", "share/icons/hicolor/scalable/apps/neurastudio.svg",
                              "share/icons/hicolor/48x48/apps/neurastudio.png",
                              "share/icons/hicolor/128x128/apps/neurastudio.png",
                              "share/icons/hicolor/256x256/apps/neurastudio.png"})
            QTest::newRow(p) << QString(p);
#endif
    }
    void layout() {
        QFETCH(QString, path);
        const QFileInfo fi(installed(path));
        QVERIFY2(fi.isFile() && fi.size() > 0, qPrintable(path + " missing or empty in the install"));
        if (path.startsWith("bin/") || path.endsWith(".sh")) QVERIFY2(fi.isExecutable(), qPrintable(path));
    }

    // Everything the source tree ships as data, docs, headers and example sources is installed.
    void sourceTreesComplete_data() {
        QTest::addColumn<QString>("source");
        QTest::addColumn<QString>("target");
        QTest::addColumn<QString>("filter");
        QTest::newRow("datasets") << "resources/datasets" << "share/neurastudio/datasets" << "*";
        QTest::newRow("examples") << "projects/src" << "share/neurastudio/projects/src" << "*.json";
        QTest::newRow("docs") << "docs" << "share/doc/neurastudio/docs" << "*.md";
        QTest::newRow("doc pictures") << "docs/images" << "share/doc/neurastudio/docs/images" << "*.png";
        QTest::newRow("headers") << "engine/include/neura" << "include/neura" << "*.h";
    }
    void sourceTreesComplete() {
        QFETCH(QString, source);
        QFETCH(QString, target);
        QFETCH(QString, filter);
        const QDir src(QStringLiteral(NEURA_SOURCE_DIR "/") + source);
        QVERIFY(src.exists());
        int n = 0;
        QDirIterator it(src.path(), {filter}, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QFileInfo f(it.next());
            const QString rel = src.relativeFilePath(f.filePath());
            const QFileInfo in(installed(target + "/" + rel));
            QVERIFY2(in.isFile() && in.size() == f.size(), qPrintable(target + "/" + rel + " not installed"));
            ++n;
        }
        QVERIFY(n > 0);
    }

    void examplesInstalled() {
        // Every example of projects/src (make_examples.sh builds them all).
        const QStringList models = QDir(QStringLiteral(NEURA_SOURCE_DIR "/projects/src")).entryList({"*.model.json"});
        QVERIFY(models.size() >= 10);
        for (const QString& model : models) {
            const QString name = model.chopped(QString(".model.json").size());
            const QString path = examples() + "/" + name + ".neura";
            QVERIFY2(QFileInfo(path).isFile(), qPrintable(path));
            const Result r = run(neura(), {"info", path}, config_);
            QVERIFY2(r.code == 0, qPrintable(name + ": " + describe(r)));
        }
    }

    void neuraVersion() {
        const Result r = run(neura(), {"--version"}, config_);
        QVERIFY2(r.code == 0, qPrintable(describe(r)));
        QVERIFY2(r.out.contains(NEURA_VERSION) && r.out.contains("GPL-3.0-or-later"), qPrintable(r.out));
    }

    // The licence is GPL-3.0 (the text), and the copyright file names the licence of every bundled dataset.
    void licenceAndCopyright() {
        QFile licence(installed("share/doc/neurastudio/LICENSE"));
        QVERIFY(licence.open(QIODevice::ReadOnly));
        QVERIFY(licence.readAll().contains("GNU GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007"));
        QFile copyright(installed("share/doc/neurastudio/copyright"));
        QVERIFY(copyright.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(copyright.readAll());
        QVERIFY(text.contains("License: GPL-3.0-or-later"));
        const QDir datasets(installed("share/neurastudio/datasets"));
        const QStringList files = datasets.entryList({"*.csv", "*.csv.gz", "*.idx*", "*.txt.gz"}, QDir::Files);
        QVERIFY(files.size() >= 4);
        for (const QString& f : files) {
            const QString stanza = "Files: share/neurastudio/datasets/" + f + "\n";
            QVERIFY2(text.contains(stanza), qPrintable(f + " has no entry in the copyright file"));
            const QString after = text.mid(text.indexOf(stanza));
            QVERIFY2(after.contains(QRegularExpression("^License: \\S+", QRegularExpression::MultilineOption)),
                     qPrintable(f));
        }
    }

    // iris reads iris.csv, which only the installed datasets folder can provide (NEURA_DATA_DIR unset).
    void createAndTrainInstalledExample() {
        const QString src = examples() + "/src/";
        const QString project = work_ + "/iris.neura";
        Result r = run(neura(),
                       {"create", project, "--model", src + "iris.model.json", "--config", src + "iris.config.json",
                        "--dataset", "iris"},
                       config_);
        QVERIFY2(r.code == 0, qPrintable(describe(r)));
        QVERIFY(QFileInfo(project).isFile());
        r = run(neura(), {"train", project, "--epochs", "2"}, config_);
        QVERIFY2(r.code == 0, qPrintable(describe(r)));
    }

#ifdef NEURA_WITH_PYTHON
    // The installed Python module (lib/python3/dist-packages/neura, Debian's Python path under /usr) imports
    // with Debian's python3 from the install, not from the build tree, and trains a model.
    void installedPythonModule() {
        const QString site = installed("lib/python3/dist-packages");
        const QString code = QStringLiteral(
            "import neura, neura.nn as nn\n"
            "print(neura.__file__)\n"
            "x = neura.tensor([[1.0, 2.0]], requires_grad=True)\n"
            "(nn.Linear(2, 1)(x) ** 2).sum().backward()\n"
            "print('grad', tuple(x.grad.shape))\n");
        const Result r = run("/usr/bin/env", {"PYTHONPATH=" + site, "/usr/bin/python3", "-c", code}, config_);
        QVERIFY2(r.code == 0, qPrintable(describe(r)));
        QVERIFY2(r.out.contains(site + "/neura/__init__.py"), qPrintable(describe(r)));
        QVERIFY2(r.out.contains("grad (1, 2)"), qPrintable(describe(r)));
    }
#endif

    // The installed `neura` finds the installed example plugins (<prefix>/lib/neurastudio/plugins).
    void installedPluginsLoad() {
        const Result r = run(neura(), {"plugins", "--json"}, config_);
        QVERIFY2(r.code == 0, qPrintable(describe(r)));
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QStringList names;
        for (const auto& p : j["loaded"].toArray()) {
            names << p.toObject()["name"].toString();
            QVERIFY(p.toObject()["path"].toString().startsWith(QFileInfo(prefix_).canonicalFilePath() + "/lib/neurastudio/plugins/"));
            QCOMPARE(p.toObject()["layers"].toArray().first().toObject()["gradcheck"].toString(), QString("passed"));
        }
        names.sort();
        QCOMPARE(names, QStringList({"mish", "rmsnorm", "swish"}));
        QVERIFY2(j["refused"].toArray().isEmpty(), qPrintable(r.out));
    }

    // docs/plugins.md, as written: the files it shows (marked "<!-- file: NAME -->") in an empty
    // folder, built against the installed SDK with the commands it gives, loaded, installed into the
    // user's plugin folder, and used to train and export a model headless.
    void pluginGuideWorksAsWritten() {
        QFile doc(QStringLiteral(NEURA_SOURCE_DIR "/docs/plugins.md"));
        QVERIFY(doc.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(doc.readAll());
        const QString dir = work_ + "/soft-clip";
        QVERIFY(QDir().mkpath(dir));
        QStringList files;
        static const QRegularExpression block(R"(<!-- file: (\S+) -->\n```[a-z]*\n(.*?)\n```)",
                                              QRegularExpression::DotMatchesEverythingOption);
        for (auto it = block.globalMatch(text); it.hasNext();) {
            const auto m = it.next();
            QFile f(dir + "/" + m.captured(1));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(m.captured(2).toUtf8() + "\n");
            files << m.captured(1);
        }
        QCOMPARE(files, QStringList({"CMakeLists.txt", "SoftClip.cpp", "model.json"}));

        const QString cmake = cmakeCommand();
        Result r = run(cmake, {"-S", ".", "-B", "build", "-DCMAKE_PREFIX_PATH=" + prefix_, "-DCMAKE_BUILD_TYPE=Release"},
                       config_, 300000, dir);
        QVERIFY2(r.code == 0, qPrintable(describe(r)));
        QVERIFY2(!r.err.contains("CMake Warning"), qPrintable(r.err));
        r = run(cmake, {"--build", "build"}, config_, neura::test::kHangGuardMs, dir);
        QVERIFY2(r.code == 0, qPrintable(describe(r)));
        QVERIFY(QFileInfo(dir + "/build/soft_clip.so").isFile());

        // NEURA_PLUGIN_PATH=$PWD/build neura plugins
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        QProcess p;
        env.insert("NEURA_PLUGIN_PATH", dir + "/build");
        env.insert("XDG_DATA_HOME", config_ + "/data");
        env.remove("NEURA_DATA_DIR");
        p.setProcessEnvironment(env);
        p.start(neura(), {"plugins", "--json"});
        QVERIFY(p.waitForFinished(60000) && p.exitCode() == 0);
        const QJsonObject j = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        bool found = false;
        for (const auto& v : j["loaded"].toArray()) {
            const QJsonObject o = v.toObject();
            if (o["name"].toString() != "soft-clip") continue;
            found = true;
            QCOMPARE(o["version"].toString(), QString("1.0.0"));
            QCOMPARE(o["layers"].toArray().first().toObject()["type"].toString(), QString("SoftClip"));
            QCOMPARE(o["layers"].toArray().first().toObject()["category"].toString(), QString("Activation"));
            QCOMPARE(o["layers"].toArray().first().toObject()["gradcheck"].toString(), QString("passed"));
        }
        QVERIFY2(found, qPrintable(QJsonDocument(j).toJson()));

        // cmake --install build → the user's plugin folder; found there without NEURA_PLUGIN_PATH.
        r = run(cmake, {"--install", "build"}, config_, 60000, dir);
        QVERIFY2(r.code == 0, qPrintable(describe(r)));
        QVERIFY(QFileInfo(config_ + "/data/NeuraStudio/plugins/soft_clip.so").isFile());
        r = run(neura(), {"plugins"}, config_);
        QVERIFY2(r.code == 0 && r.out.contains("soft-clip 1.0.0  " + QFileInfo(config_).canonicalFilePath() +
                                               "/data/NeuraStudio/plugins/soft_clip.so"),
                 qPrintable(describe(r)));

        // neura create / train / export, as the guide's section 7 shows.
        r = run(neura(), {"create", "demo.neura", "--model", "model.json", "--dataset", "moons"}, config_, 60000, dir);
        QVERIFY2(r.code == 0, qPrintable(describe(r)));
        r = run(neura(), {"train", "demo.neura", "--epochs", "10"}, config_, 120000, dir);
        QVERIFY2(r.code == 0 && r.out.contains("epoch  10"), qPrintable(describe(r)));
        r = run(neura(), {"export", "demo.neura", "-o", "demo.onnx"}, config_, 60000, dir);
        QVERIFY2(r.code == 0, qPrintable(describe(r)));
        QVERIFY(QFileInfo(dir + "/demo.onnx").size() > 0);
#ifdef NEURA_WITH_GUI
        // The studio loads it at start-up too (its palette is covered by tests/plugins).
        r = run(installed("bin/neurastudio"), {"--screenshot", work_ + "/shot-plugin.png", dir + "/demo.neura"}, config_);
        QVERIFY2(r.code == 0 && !r.err.contains("refused"), qPrintable(describe(r)));
#endif
    }

#ifdef NEURA_WITH_GUI
    void studioVersionAndHelp() {
        Result r = run(installed("bin/neurastudio"), {"--version"}, config_);
        QVERIFY2(r.code == 0, qPrintable(describe(r)));
        QVERIFY2(r.out.contains(NEURA_VERSION) && r.out.contains("GPL-3.0-or-later"), qPrintable(r.out));
        r = run(installed("bin/neurastudio"), {"--help"}, config_);
        QVERIFY2(r.code == 0, qPrintable(describe(r)));
        QVERIFY2(r.out.contains("--screenshot"), qPrintable(r.out));
    }

    void studioScreenshot_data() {
        QTest::addColumn<QString>("project");
        QTest::newRow("trained") << QString("work/iris.neura");  // from createAndTrainInstalledExample
        QTest::newRow("installed example") << QString("prefix/share/neurastudio/projects/digits-cnn.neura");
    }
    void studioScreenshot() {
        QFETCH(QString, project);
        const QString path = tmp_.filePath(project);
        QVERIFY2(QFileInfo(path).isFile(), qPrintable(path));
        const QString out = work_ + "/shot-" + QFileInfo(path).baseName() + ".png";
        const Result r = run(installed("bin/neurastudio"), {"--screenshot", out, path}, config_);
        QVERIFY2(r.code == 0, qPrintable(describe(r)));
        QVERIFY2(QFileInfo(out).size() > 1000, qPrintable(out));
    }
#endif
};

QTEST_GUILESS_MAIN(TestInstall)
#include "tst_install.moc"
