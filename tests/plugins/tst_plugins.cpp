// Plugins, end to end: the example plugins (plugins/examples) load with their layers gradient-checked
// and tagged with the plugin's name and version; a small project using them trains and exports to
// ONNX that ONNX Runtime agrees with; plugins built wrong (tests/plugins/testplugins) are refused with
// the reason and leave nothing behind, before any of their code runs when the stamp does not match;
// a layer whose backward is wrong is marked; plugins unload and reload; a project whose plugin is
// missing opens, says which plugin it needs, refuses to train and saves its node unchanged; and the
// `neura` tool loads plugins for every command and lists them with `neura plugins --json`.
#include <QtTest>

#include "common/TestSupport.h"

#include <dlfcn.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "neura/autograd/GradMode.h"
#include "neura/graph/LayerRegistry.h"
#include "neura/graph/ModelJson.h"
#include "neura/graph/Network.h"
#include "neura/graph/Validate.h"
#include "neura/onnx/Export.h"
#include "neura/onnx/TensorFile.h"
#include "neura/ops/Ops.h"
#include "neura/plugin/PluginManager.h"
#include "neura/plugin/PluginApi.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"
#include "neura/train/TrainedModel.h"

using namespace neura;
using graph::AttributeMap;
using graph::LayerCheck;
using graph::LayerRegistry;
using graph::ModelGraph;
using graph::NodeId;
using plugin::PluginManager;
using IntList = std::vector<std::int64_t>;
namespace fs = std::filesystem;

namespace {

const QString kExamples = QStringLiteral(NEURA_EXAMPLE_PLUGIN_DIR);
const QString kTestPlugins = QStringLiteral(NEURA_TEST_PLUGIN_DIR);
const QString kOrtScript = QStringLiteral(NEURA_SOURCE_DIR "/tests/onnx/ort_check.js");

std::string example(const char* name) { return fs::weakly_canonical((kExamples + "/" + name + ".so").toStdString()); }
std::string test_plugin(const char* name) {
    return fs::weakly_canonical((kTestPlugins + "/" + name + ".so").toStdString());
}

// Whether the dynamic loader holds the library now (RTLD_NOLOAD opens nothing).
bool is_mapped(const std::string& path) {
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (h) dlclose(h);
    return h != nullptr;
}

// Built-in layers plus what a manager loads into them: no global state.
struct Sandbox {
    LayerRegistry registry;
    PluginManager manager{registry};
    Sandbox() { graph::register_builtin_layers(registry); }
};

// Every refusal, one per line (QVERIFY2 messages are built whether or not the check fails).
std::string refusals(const PluginManager& m) {
    std::string out;
    for (const auto& r : m.refused()) out += r.path + ": " + r.reason + "\n";
    return out;
}

QString reason(const PluginManager& m, const std::string& path) {
    for (const auto& r : m.refused())
        if (r.path == path) return QString::fromStdString(r.reason);
    return {};
}

using Result = neura::test::ProcessResult;

Result run(const QString& program, const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
    return neura::test::run_process(program, args, neura::test::kHangGuardMs, env);
}

QString node_program() {
    const QString found = QStandardPaths::findExecutable("node");
    return found.isEmpty() ? QStringLiteral("/usr/bin/node") : found;
}

// Input [2] → Linear → Swish → RMSNorm → Linear → Mish → Linear(2) → Loss: every example layer.
ModelGraph plugin_model() {
    ModelGraph g;
    const NodeId in = g.add_node("Input", "input", {{"shape", IntList{2}}});
    const NodeId fc1 = g.add_node("Linear", "fc1", {{"out_features", std::int64_t{16}}});
    const NodeId swish = g.add_node("Swish", "swish1");
    const NodeId norm = g.add_node("RMSNorm", "norm1");
    const NodeId fc2 = g.add_node("Linear", "fc2", {{"out_features", std::int64_t{16}}});
    const NodeId mish = g.add_node("Mish", "mish1");
    const NodeId fc3 = g.add_node("Linear", "fc3", {{"out_features", std::int64_t{2}}});
    const NodeId loss = g.add_node("Loss", "loss");
    for (auto [a, b] : std::vector<std::pair<NodeId, NodeId>>{{in, fc1}, {fc1, swish}, {swish, norm}, {norm, fc2},
                                                              {fc2, mish}, {mish, fc3}, {fc3, loss}})
        g.add_edge(a, b);
    return g;
}

project::Project plugin_project(const LayerRegistry& registry, std::int64_t epochs) {
    project::Project p;
    p.model_json = graph::to_json(plugin_model(), registry);
    train::DatasetSpec spec;
    spec.name = "xor";
    spec.params = {{"n", "200"}, {"noise", "0"}, {"seed", "1"}};
    p.dataset_json = spec.to_json();
    train::TrainConfig c;
    c.epochs = epochs;
    c.batch_size = 16;
    c.lr = 0.02;
    p.train_config_json = c.to_json();
    return p;
}

std::string read_text(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return f.readAll().toStdString();
}

}  // namespace

class TestPlugins : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

    // The `neura` tool with a private user plugin folder, and NEURA_PLUGIN_PATH as given.
    Result cli(const QStringList& args, const QString& plugin_path = {}) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("XDG_DATA_HOME", tmp_.filePath("xdg"));
        env.remove("NEURA_PLUGIN_PATH");
        if (!plugin_path.isEmpty()) env.insert("NEURA_PLUGIN_PATH", plugin_path);
        return run(NEURA_CLI_PATH, args, env);
    }

private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        for (const char* name : {"swish", "rmsnorm", "mish"})
            QVERIFY2(QFileInfo::exists(QString::fromStdString(example(name))), example(name).c_str());
    }

    // ---- the engine's side ----
    void registryAddsAllOrNothing() {
        LayerRegistry r;
        graph::register_builtin_layers(r);
        auto layer = [](const char* type, const char* plugin) {
            graph::LayerDescriptor d;
            d.type = type;
            d.category = "Test";
            d.plugin = plugin;
            d.plugin_version = "1.0";
            d.shape = [](const AttributeMap&, const std::vector<Shape>& in) { return graph::ShapeResult::ok({in.at(0)}); };
            return d;
        };
        const std::size_t before = r.types().size();
        QVERIFY(test::error_of([&] { r.add_all({layer("A", "p"), layer("Linear", "p")}); })
                    .contains("layer type Linear is already registered (built-in)"));
        QVERIFY(test::error_of([&] { r.add_all({layer("A", "p"), layer("A", "p")}); }).contains("A is given twice"));
        graph::LayerDescriptor noshape = layer("B", "p");
        noshape.shape = nullptr;
        QVERIFY(test::error_of([&] { r.add_all({layer("A", "p"), noshape}); }).contains("B has no shape rule"));
        QCOMPARE(r.types().size(), before);
        r.add_all({layer("A", "p"), layer("B", "p"), layer("C", "q")});
        QVERIFY(test::error_of([&] { r.add_all({layer("C", "p")}); }).contains("C is already registered (by plugin q 1.0)"));
        QCOMPARE(r.remove_plugin("p"), std::size_t{2});
        QVERIFY(!r.contains("A") && !r.contains("B") && r.contains("C") && r.contains("Linear"));
        QCOMPARE(r.remove_plugin(""), std::size_t{0});  // never the built-ins
        QCOMPARE(r.types().size(), before + 1);
    }

    void versionsCompareByNumber() {
        using graph::compare_versions;
        QVERIFY(compare_versions("1.10.0", "1.9") > 0);
        QVERIFY(compare_versions("1.0", "1.0.0") == 0);
        QVERIFY(compare_versions("0.9.9", "1") < 0);
        QVERIFY(compare_versions("2.0.0", "10.0") < 0);
        QVERIFY(compare_versions("1.0.0-beta", "1.0.0-alpha") > 0);  // other parts as text
        QVERIFY(compare_versions("1.99999999999999999999", "1.1") != 0);  // no overflow
    }

    // ---- loading the examples ----
    void loadsEachExample() {
        Sandbox s;
        const std::size_t before = s.registry.types().size();
        QCOMPARE(s.manager.load({kExamples.toStdString()}), std::size_t{3});
        QVERIFY2(s.manager.refused().empty(), refusals(s.manager).c_str());
        QCOMPARE(s.registry.types().size(), before + 3);
        const std::map<std::string, std::pair<std::string, std::string>> want = {
            {"Swish", {"swish", "Activation"}}, {"RMSNorm", {"rmsnorm", "Normalization"}}, {"Mish", {"mish", "Activation"}}};
        for (const auto& [type, plugin_category] : want) {
            const graph::LayerDescriptor* d = s.registry.find(type);
            QVERIFY2(d, type.c_str());
            QCOMPARE(d->plugin, plugin_category.first);
            QCOMPARE(d->plugin_version, std::string("1.0.0"));
            QCOMPARE(d->category, plugin_category.second);
            QVERIFY2(d->check == LayerCheck::Passed, d->check_message.c_str());
            QVERIFY(d->icon.rfind("/* XPM */", 0) == 0);
            QVERIFY(d->onnx && d->build && d->shape);
        }
        // The palette groups them with the built-ins of their category.
        const auto activations = s.registry.types_in("Activation");
        QVERIFY(std::count(activations.begin(), activations.end(), "Swish") == 1);
        for (const auto& p : s.manager.loaded()) {
            QCOMPARE(p.layers.size(), std::size_t{1});
            QVERIFY(p.path.rfind(fs::weakly_canonical(kExamples.toStdString()).string(), 0) == 0);
            qInfo("plugin %s %s: loaded in %.2f ms, gradient check of %s in %.2f ms (%s)", p.name.c_str(),
                  p.version.c_str(), p.load_ms, p.layers[0].type.c_str(), p.check_ms, p.layers[0].check_message.c_str());
        }
        // Loading the same folder again loads nothing twice.
        QCOMPARE(s.manager.load({kExamples.toStdString()}), std::size_t{0});
        QCOMPARE(s.manager.loaded().size(), std::size_t{3});
    }

    void examplesComputeTheirFormulas() {
        Sandbox s;
        s.manager.load({kExamples.toStdString()});
        Generator gen(7);
        const Tensor x = Tensor::randn({4, 5}, DType::F64, &gen);
        auto build = [&](const char* type) {
            const auto& d = s.registry.at(type);
            auto m = d.build(d.default_attributes(), {{5}}, gen);
            m->to(DType::F64);
            return m;
        };
        NoGradGuard ng;
        auto close = [](const Tensor& a, const Tensor& b) { return max(abs(a - b)).item<double>() < 1e-12; };
        QVERIFY(close(build("Swish")->forward(x), x * sigmoid(x)));  // beta = 1: SiLU
        QVERIFY(close(build("Mish")->forward(x), x * tanh(log(1.0 + exp(x)))));
        QVERIFY(close(build("RMSNorm")->forward(x), x / sqrt(mean(x * x, {-1}, true) + 1e-6)));
        // Swish's beta is a parameter unless learnable is off; RMSNorm's weight sized from the input.
        const auto& swish = s.registry.at("Swish");
        QCOMPARE(build("Swish")->parameters().size(), std::size_t{1});
        AttributeMap fixed = swish.default_attributes();
        fixed["learnable"] = false;
        QCOMPARE(swish.build(fixed, {{5}}, gen)->parameters().size(), std::size_t{0});
        QCOMPARE(swish.parameter_count(fixed, {{5}}), std::int64_t{0});
        QCOMPARE(build("RMSNorm")->parameters().front().shape(), (Shape{5}));
        // A shape rule's refusal reaches validate() as the plugin wrote it.
        const auto& rms = s.registry.at("RMSNorm");
        QVERIFY(!rms.shape(rms.default_attributes(), {Shape{}}).is_ok());
    }

    // ---- training, export ----
    void trainsAndExportsAProjectWithPluginLayers() {
        PluginManager manager(LayerRegistry::instance());  // Experiment compiles with the shared registry
        QCOMPARE(manager.load({kExamples.toStdString()}), std::size_t{3});
        project::Project p = plugin_project(LayerRegistry::instance(), 20);
        train::FitResult r;
        {
            train::Experiment ex(p, train::TrainConfig::from_json(p.train_config_json));
            QCOMPARE(manager.live_modules(), 3L);  // Swish, RMSNorm, Mish in the compiled network
            r = ex.run({});
            ex.store(p, r, project::utc_now_iso8601());
        }
        QCOMPARE(manager.live_modules(), 0L);
        QVERIFY2(r.status == train::FitStatus::Completed, r.message.c_str());
        QCOMPARE(r.history.size(), std::size_t{20});
        const double first = r.history.front().train_loss, last = r.history.back().train_loss;
        qInfo("xor with Swish, RMSNorm, Mish: loss %.4f -> %.4f, accuracy %.3f", first, last,
              r.history.back().train_accuracy);
        QVERIFY2(last < 0.5 * first, qPrintable(QString("loss %1 -> %2").arg(first).arg(last)));
        // Swish's beta trained like any parameter, and was saved under the node's name.
        const auto beta = std::find_if(p.weights.begin(), p.weights.end(), [](const auto& w) { return w.name == "swish1.beta"; });
        QVERIFY(beta != p.weights.end());
        QVERIFY(std::abs(beta->tensor.item<double>() - 1.0) > 1e-4);

        // Export: the decompositions (Sigmoid, ReduceMean/Sqrt, Softplus/Tanh) judged by ONNX Runtime.
        train::TrainedModel m = train::load_trained_model(p);
        onnx::ExportOptions o;
        o.normalization = m.normalization;
        const std::string bytes = onnx::export_onnx_bytes(m.graph, m.network, o);
        for (const char* op : {"Sigmoid", "ReduceMean", "Sqrt", "Softplus", "Tanh"})
            QVERIFY2(bytes.find(op) != std::string::npos, op);
        const QString dir = tmp_.filePath("onnx_case");
        QVERIFY(QDir().mkpath(dir + "/test_data_set_0"));
        {
            std::ofstream f((dir + "/model.onnx").toStdString(), std::ios::binary);
            f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        }
        Generator gen(3);
        const Tensor x = Tensor::randn({16, 2}, DType::F32, &gen);
        const Tensor y = m.predict(x);
        onnx::write_tensor_file((dir + "/test_data_set_0/input_0.pb").toStdString(), x, "input");
        onnx::write_tensor_file((dir + "/test_data_set_0/output_0.pb").toStdString(), y, "output");
        const Result ort = run(node_program(), {kOrtScript, dir, "--atol", "1e-4"});
        QVERIFY2(ort.code == 0, qPrintable(QString("ONNX Runtime (exit %1): %2%3 — tests/onnx needs onnxruntime-node "
                                                   "(tools/setup-debian.sh)")
                                               .arg(ort.code)
                                               .arg(ort.err, ort.out)));
        const QJsonObject j = QJsonDocument::fromJson(ort.out.toUtf8()).object();
        QVERIFY(j["passed"].toBool());
        qInfo("ONNX Runtime agrees with the engine: max |diff| %.3g",
              j["outputs"].toArray().first().toObject()["max_abs_diff"].toDouble());
    }

    // ---- refused plugins ----
    void refusesWrongApiVersionBeforeItsCodeRuns() {
        Sandbox s;
        qunsetenv("NEURA_TEST_BAD_API_RAN");
        const std::size_t before = s.registry.types().size();
        QVERIFY(!s.manager.load_file(test_plugin("bad_api")));
        const QString why = reason(s.manager, test_plugin("bad_api"));
        QVERIFY2(why.contains("was built for plugin API 0; this NeuraStudio loads plugin API " + QString::number(NEURA_PLUGIN_API_VERSION)), qPrintable(why));
        QVERIFY(!qEnvironmentVariableIsSet("NEURA_TEST_BAD_API_RAN"));  // its initializer never ran
        QVERIFY(!is_mapped(test_plugin("bad_api")));
        QCOMPARE(s.registry.types().size(), before);
        QVERIFY(s.manager.loaded().empty());
    }

    void refusesWrongBuildTagBeforeItsCodeRuns() {
        Sandbox s;
        qunsetenv("NEURA_TEST_BAD_TAG_RAN");
        QVERIFY(!s.manager.load_file(test_plugin("bad_tag")));
        const QString why = reason(s.manager, test_plugin("bad_tag"));
        QVERIFY2(why.contains("was built as \"neura-0.0.9 api-1 gcc-4") &&
                     why.contains(QString("this NeuraStudio is \"%1\"").arg(plugin::build_tag())) &&
                     why.contains("compiler or C++ standard library differ"),
                 qPrintable(why));
        QVERIFY(!qEnvironmentVariableIsSet("NEURA_TEST_BAD_TAG_RAN"));
        QVERIFY(!is_mapped(test_plugin("bad_tag")));
        QVERIFY(!s.registry.contains("BadTagLayer"));
    }

    void refusesAThrowingPluginAndGoesOn() {
        Sandbox s;
        const std::size_t before = s.registry.types().size();
        QVERIFY(!s.manager.load_file(test_plugin("throwing")));
        QString why = reason(s.manager, test_plugin("throwing"));
        QVERIFY2(why.contains("plugin throwing 1.0.0: registering its layers threw: out of licences"), qPrintable(why));
        // It added a layer before throwing: registration is all or nothing.
        QVERIFY(!s.registry.contains("ThrowAfterAdd"));
        QVERIFY(!s.manager.load_file(test_plugin("throwing_int")));
        why = reason(s.manager, test_plugin("throwing_int"));
        QVERIFY2(why.contains("threw: an exception that is not a std::exception"), qPrintable(why));
        QVERIFY(!s.registry.contains("ThrowIntLayer"));
        QCOMPARE(s.registry.types().size(), before);
        QVERIFY(!is_mapped(test_plugin("throwing")));  // closed again
        // The program goes on: the examples still load next to the refusals.
        QCOMPARE(s.manager.load({kExamples.toStdString()}), std::size_t{3});
        QCOMPARE(s.manager.refused().size(), std::size_t{2});
    }

    void refusesMissingAndUndefinedSymbols() {
        Sandbox s;
        QVERIFY(!s.manager.load_file(test_plugin("missing_symbol")));
        QString why = reason(s.manager, test_plugin("missing_symbol"));
        QVERIFY2(why.contains("does not export neura_plugin_register (missing symbol)"), qPrintable(why));
        QVERIFY(!s.manager.load_file(test_plugin("unresolved")));
        why = reason(s.manager, test_plugin("unresolved"));
        QVERIFY2(why.contains("cannot be loaded") && why.contains("undefined symbol") &&
                     why.contains("neura::graph::layer_from_the_future(neura::graph::LayerRegistry&)"),
                 qPrintable(why));
    }

    void refusesATypeClashWholly() {
        Sandbox s;
        QVERIFY(!s.manager.load_file(test_plugin("conflict")));
        const QString why = reason(s.manager, test_plugin("conflict"));
        QVERIFY2(why.contains("layer type Linear is already registered (built-in); none of its layers were added"),
                 qPrintable(why));
        QVERIFY(!s.registry.contains("ConflictFree"));
        // A second plugin of an already loaded name is refused too.
        QVERIFY(s.manager.load_file(example("swish")));
        const QString copy = tmp_.filePath("copy/swish_again.so");
        QVERIFY(QDir().mkpath(tmp_.filePath("copy")));
        QVERIFY(QFile::copy(QString::fromStdString(example("swish")), copy));
        QVERIFY(!s.manager.load_file(copy.toStdString()));
        QVERIFY2(reason(s.manager, fs::weakly_canonical(copy.toStdString())).contains("plugin swish 1.0.0 is already loaded"),
                 qPrintable(reason(s.manager, fs::weakly_canonical(copy.toStdString()))));
    }

    void refusesFilesThatAreNoPluginsWithoutCrashing() {
        Sandbox s;
        const QString dir = tmp_.filePath("junk");
        QVERIFY(QDir().mkpath(dir + "/folder.so"));
        auto write = [&](const QString& name, const QByteArray& bytes) {
            QFile f(dir + "/" + name);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(bytes);
        };
        write("text.so", "not a library at all\n");
        write("empty.so", {});
        QFile swish(QString::fromStdString(example("swish")));
        QVERIFY(swish.open(QIODevice::ReadOnly));
        const QByteArray good = swish.readAll();
        write("truncated.so", good.left(200));
        QByteArray far = good;  // section table moved past the end of the file
        const quint64 huge = 1ull << 40;
        std::memcpy(far.data() + 0x28, &huge, sizeof huge);  // e_shoff
        write("far.so", far);
        QByteArray no_stamp = good;  // the stamp's section renamed
        const int at = no_stamp.lastIndexOf(".neura_plugin");  // in the section-name table, near the end
        QVERIFY(at > 0);
        no_stamp[at + 1] = 'X';
        write("no_stamp.so", no_stamp);
        QByteArray bad_stamp = good;  // the stamp's text garbled
        const int text = bad_stamp.indexOf("NEURA-PLUGIN-STAMP api=");
        QVERIFY(text > 0);
        bad_stamp[text + 23] = 'x';
        write("bad_stamp.so", bad_stamp);
        // A real shared library that is not a plugin: the C++ runtime this test runs on.
        Dl_info info{};
        QVERIFY(dladdr(reinterpret_cast<void*>(&std::terminate), &info) && info.dli_fname);
        QVERIFY(QFile::copy(info.dli_fname, dir + "/libstdcxx.so"));

        QCOMPARE(s.manager.load({dir.toStdString()}), std::size_t{0});
        const auto under = [&](const char* name) { return reason(s.manager, fs::weakly_canonical((dir + "/" + name).toStdString())); };
        QVERIFY2(under("text.so").contains("is not a shared library (not an ELF file)"), qPrintable(under("text.so")));
        QVERIFY2(under("empty.so").contains("0 bytes, too small for ELF"), qPrintable(under("empty.so")));
        QVERIFY2(under("truncated.so").contains("lies outside the file"), qPrintable(under("truncated.so")));
        QVERIFY2(under("far.so").contains("lies outside the file"), qPrintable(under("far.so")));
        QVERIFY2(under("no_stamp.so").contains("has no NeuraStudio plugin stamp"), qPrintable(under("no_stamp.so")));
        QVERIFY2(under("bad_stamp.so").contains("malformed NeuraStudio plugin stamp"), qPrintable(under("bad_stamp.so")));
        QVERIFY2(under("libstdcxx.so").contains("has no NeuraStudio plugin stamp"), qPrintable(under("libstdcxx.so")));
        QVERIFY2(under("folder.so").contains("is not a regular file"), qPrintable(under("folder.so")));
        QCOMPARE(s.manager.refused().size(), std::size_t{8});
    }

    // ---- the gradient check on load ----
    void marksALayerWhoseGradientIsWrong() {
        Sandbox s;
        QVERIFY(s.manager.load_file(test_plugin("bad_gradient")));  // loaded, not refused
        const graph::LayerDescriptor& d = s.registry.at("BadSquare");
        QVERIFY(d.check == LayerCheck::Failed);
        QVERIFY2(QString::fromStdString(d.check_message).contains("input"), d.check_message.c_str());
        QVERIFY(s.manager.loaded().front().layers.front().check == LayerCheck::Failed);
        // validate() shows it on every node of that type, as a warning.
        ModelGraph g;
        const NodeId in = g.add_node("Input", "input", {{"shape", IntList{2}}});
        const NodeId sq = g.add_node("BadSquare", "sq");
        const NodeId loss = g.add_node("Loss", "loss", {{"type", std::string("MSELoss")}});
        g.add_edge(in, sq);
        g.add_edge(sq, loss);
        const auto diags = graph::validate(g, s.registry);
        QVERIFY(!graph::has_errors(diags));
        QCOMPARE(diags.size(), std::size_t{1});
        QVERIFY(diags[0].node == sq && diags[0].severity == graph::Severity::Warning);
        QVERIFY2(QString::fromStdString(diags[0].message).contains("(plugin bad-gradient 0.1.0) failed its gradient check"),
                 diags[0].message.c_str());
    }

    // ---- unload, reload ----
    void reloadsWithoutRestart() {
        Sandbox s;
        QVERIFY(s.manager.load_file(example("swish")));
        QVERIFY(is_mapped(example("swish")));
        {
            // Only Swish is loaded here: a network of Input → Swish → Loss.
            ModelGraph small;
            const NodeId in = small.add_node("Input", "input", {{"shape", IntList{3}}});
            const NodeId sw = small.add_node("Swish", "swish1");
            const NodeId loss = small.add_node("Loss", "loss", {{"type", std::string("MSELoss")}});
            small.add_edge(in, sw);
            small.add_edge(sw, loss);
            graph::Network net = graph::compile(small, 1, s.registry);
            QCOMPARE(s.manager.live_modules(), 1L);
            QCOMPARE(s.manager.unload_all(), std::size_t{1});
            QVERIFY(!s.registry.contains("Swish"));
            // The network still runs: its module holds the library.
            QVERIFY(is_mapped(example("swish")));
            const Tensor y = net.forward(Tensor::ones({2, 3}));
            QCOMPARE(y.shape(), (Shape{2, 3}));
        }
        QVERIFY(!is_mapped(example("swish")));  // the last module went: closed
        QCOMPARE(s.manager.reload(), std::size_t{1});
        QVERIFY(s.registry.contains("Swish"));
        QCOMPARE(s.registry.at("Swish").plugin, std::string("swish"));
        QVERIFY(is_mapped(example("swish")));
    }

    // ---- projects ----
    void projectRecordsItsPlugins() {
        Sandbox s;
        s.manager.load({kExamples.toStdString()});
        project::Project p = plugin_project(s.registry, 1);
        const nlohmann::json model = nlohmann::json::parse(p.model_json);
        const auto& swish = model["nodes"][2];
        QCOMPARE(swish["type"].get<std::string>(), std::string("Swish"));
        QCOMPARE(swish["plugin"]["name"].get<std::string>(), std::string("swish"));
        QCOMPARE(swish["plugin"]["version"].get<std::string>(), std::string("1.0.0"));
        QCOMPARE(swish["plugin"]["inputs"], nlohmann::json({"input"}));
        QVERIFY(!model["nodes"][1].contains("plugin"));  // Linear is built in
        project::stamp_metadata(p);
        QCOMPARE(nlohmann::json::parse(p.metadata.at(project::meta::kPlugins)),
                 nlohmann::json::parse(R"([{"name": "mish", "version": "1.0.0"}, {"name": "rmsnorm", "version": "1.0.0"},
                                            {"name": "swish", "version": "1.0.0"}])"));
    }

    void opensAProjectWhosePluginIsMissing() {
        // Saved with the plugins loaded...
        std::string saved_model;
        const QString path = tmp_.filePath("missing.neura");
        {
            PluginManager manager(LayerRegistry::instance());
            manager.load({kExamples.toStdString()});
            project::Project p = plugin_project(LayerRegistry::instance(), 1);
            saved_model = p.model_json;
            project::stamp_metadata(p);
            project::save_project(path.toStdString(), p);
        }
        // ...opened without them (the manager above unloaded them).
        QVERIFY(!LayerRegistry::instance().contains("Swish"));
        project::Project p = project::load_project(path.toStdString());
        const ModelGraph g = graph::from_json(p.model_json);
        QCOMPARE(g.node_count(), std::size_t{8});
        const auto diags = graph::validate(g);
        std::map<std::string, std::string> by_node;
        for (const auto& d : diags)
            if (d.severity == graph::Severity::Error && d.node.valid()) by_node[g.node(d.node).name] = d.message;
        QCOMPARE(by_node.size(), std::size_t{3});  // nothing else is wrong: edges and ports are kept
        QCOMPARE(by_node["swish1"], std::string("needs plugin swish \u2265 1.0.0 (layer type Swish); the plugin is not loaded"));
        QCOMPARE(by_node["norm1"], std::string("needs plugin rmsnorm \u2265 1.0.0 (layer type RMSNorm); the plugin is not loaded"));
        QVERIFY(by_node.count("mish1"));
        // Training is refused, naming the plugin.
        const QString why = test::error_of([&] { train::Experiment ex(p, train::TrainConfig::from_json(p.train_config_json)); });
        QVERIFY2(why.contains("node 'swish1' (Swish): needs plugin swish \u2265 1.0.0"), qPrintable(why));
        // Saving keeps the nodes as they were: type, plugin record, attributes, edges.
        QCOMPARE(nlohmann::json::parse(graph::to_json(g)), nlohmann::json::parse(saved_model));
        const auto& swish = g.node(g.find_node("swish1"));
        QCOMPARE(swish.plugin.inputs, std::vector<std::string>{"input"});
        QCOMPARE(std::get<double>(swish.attributes.at("beta")), 1.0);
        QCOMPARE(std::get<bool>(swish.attributes.at("learnable")), true);

        // With the plugin back, but older than the project asks for.
        PluginManager manager(LayerRegistry::instance());
        manager.load({kExamples.toStdString()});
        nlohmann::json newer = nlohmann::json::parse(saved_model);
        newer["nodes"][2]["plugin"]["version"] = "1.10";
        const ModelGraph g2 = graph::from_json(newer.dump());
        bool found = false;
        for (const auto& d : graph::validate(g2))
            found |= d.node == g2.find_node("swish1") &&
                     d.message == "needs plugin swish \u2265 1.10 (layer type Swish); version 1.0.0 is loaded";
        QVERIFY(found);
        QCOMPARE(nlohmann::json::parse(graph::to_json(g2))["nodes"][2]["plugin"]["version"].get<std::string>(),
                 std::string("1.10"));  // a save does not lower what the project needs
        // An unknown type without a plugin record is still an error naming it.
        nlohmann::json unknown = nlohmann::json::parse(saved_model);
        unknown["nodes"][2].erase("plugin");
        unknown["nodes"][2]["type"] = "Frobnicate";
        QVERIFY(test::error_of([&] { graph::from_json(unknown.dump()); }).contains("nodes[2].type: unknown layer type \"Frobnicate\""));
        // A malformed record is an error naming its JSON path.
        auto error_with = [&](const nlohmann::json& record) {
            nlohmann::json m = nlohmann::json::parse(saved_model);
            m["nodes"][2]["plugin"] = record;
            return test::error_of([&] { graph::from_json(m.dump()); });
        };
        QVERIFY(error_with(3).contains("nodes[2].plugin: expected an object"));
        QVERIFY(error_with({{"name", ""}, {"version", "1"}}).contains("nodes[2].plugin.name: must not be empty"));
        QVERIFY(error_with({{"name", "x"}}).contains("nodes[2].plugin.version: missing"));
        QVERIFY(error_with({{"name", "x"}, {"version", "1"}, {"inputs", {1}}}).contains("nodes[2].plugin.inputs[0]: expected a string"));
    }

    // ---- the neura tool ----
    void cliTrainsHeadlessWithInstalledPlugins() {
        // No NEURA_PLUGIN_PATH: the build tree's installation folder holds the examples.
        const QString model = tmp_.filePath("cli_model.json");
        const QString config = tmp_.filePath("cli_config.json");
        const QString project = tmp_.filePath("cli.neura");
        {
            Sandbox s;
            s.manager.load({kExamples.toStdString()});
            QFile f(model);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray::fromStdString(graph::to_json(plugin_model(), s.registry)));
        }
        {
            QFile f(config);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(R"({"epochs": 15, "batch_size": 16, "lr": 0.02, "seed": 1})");
        }
        Result r = cli({"create", project, "--model", model, "--dataset", "xor,n=200,noise=0,seed=1", "--config", config});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.isEmpty(), qPrintable(r.err));  // no refused plugin to warn about
        r = cli({"train", project, "--json"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonArray history = QJsonDocument::fromJson(r.out.toUtf8()).object()["history"].toArray();
        QCOMPARE(history.size(), 15);
        const double first = history.first().toObject()["train_loss"].toDouble();
        const double last = history.last().toObject()["train_loss"].toDouble();
        QVERIFY2(last < 0.5 * first, qPrintable(QString("loss %1 -> %2").arg(first).arg(last)));
        r = cli({"export", project, "-o", tmp_.filePath("cli.onnx")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(QFileInfo(tmp_.filePath("cli.onnx")).size() > 0);
    }

    void cliRefusesToTrainWithoutThePlugin() {
        // A project naming a plugin no one has.
        nlohmann::json model = nlohmann::json::parse(read_text(test::example_file("xor", "model.json")));
        auto& tanh1 = model["nodes"][2];
        QCOMPARE(tanh1["type"].get<std::string>(), std::string("Tanh"));
        tanh1["type"] = "Frobnicate";
        tanh1["plugin"] = {{"name", "frobnicator"}, {"version", "2.0.0"}, {"inputs", {"input"}}, {"outputs", {"output"}}};
        tanh1["attributes"] = {{"strength", 0.5}};
        const QString path = tmp_.filePath("frob_model.json");
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray::fromStdString(model.dump()));
        }
        const QString project = tmp_.filePath("frob.neura");
        Result r = cli({"create", project, "--model", path, "--dataset", "xor"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        r = cli({"train", project, "--epochs", "1"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("node 'tanh1' (Frobnicate): needs plugin frobnicator \u2265 2.0.0 (layer type Frobnicate); "
                                "the plugin is not loaded"),
                 qPrintable(r.err));
        r = cli({"info", project, "--json"});
        QCOMPARE(r.code, 1);
        QVERIFY(r.out.contains("needs plugin frobnicator \u2265 2.0.0"));
        // The stored node is untouched.
        r = cli({"dump", project});
        QCOMPARE(nlohmann::json::parse(r.out.toStdString())["nodes"][2], model["nodes"][2]);
    }

    void cliListsPluginsAsJson() {
        const Result r = cli({"plugins", "--json"}, kTestPlugins);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.isEmpty(), qPrintable(r.err));  // `plugins` lists refusals instead of warning
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j["api_version"].toInt(), NEURA_PLUGIN_API_VERSION);
        QCOMPARE(j["build_tag"].toString(), QString(plugin::build_tag()));
        const QJsonArray search = j["search_path"].toArray();
        QCOMPARE(search.size(), 3);
        QCOMPARE(search[0].toString(), kTestPlugins);
        QCOMPARE(search[1].toString(), tmp_.filePath("xdg") + "/NeuraStudio/plugins");
        QVERIFY(QFileInfo(search[2].toString()) == QFileInfo(kExamples));

        std::map<QString, QJsonObject> loaded;
        for (const auto& v : j["loaded"].toArray()) loaded[v.toObject()["name"].toString()] = v.toObject();
        QCOMPARE(loaded.size(), std::size_t{4});
        for (const char* name : {"swish", "rmsnorm", "mish"}) {
            const QJsonObject p = loaded[name];
            QCOMPARE(p["version"].toString(), QString("1.0.0"));
            QCOMPARE(p["path"].toString(), QString::fromStdString(example(name)));
            QCOMPARE(p["layers"].toArray().size(), 1);
            QCOMPARE(p["layers"][0]["gradcheck"].toString(), QString("passed"));
            QVERIFY(p["check_ms"].toDouble() > 0);
        }
        QCOMPARE(loaded["bad-gradient"]["layers"][0]["type"].toString(), QString("BadSquare"));
        QCOMPARE(loaded["bad-gradient"]["layers"][0]["gradcheck"].toString(), QString("failed"));

        std::map<QString, QString> refused;
        for (const auto& v : j["refused"].toArray())
            refused[QFileInfo(v.toObject()["path"].toString()).fileName()] = v.toObject()["reason"].toString();
        QCOMPARE(refused.size(), std::size_t{7});
        QVERIFY(refused["bad_api.so"].contains("built for plugin API 0"));
        QVERIFY(refused["bad_tag.so"].contains("was built as"));
        QVERIFY(refused["throwing.so"].contains("out of licences"));
        QVERIFY(refused["throwing_int.so"].contains("not a std::exception"));
        QVERIFY(refused["missing_symbol.so"].contains("missing symbol"));
        QVERIFY(refused["unresolved.so"].contains("undefined symbol"));
        QVERIFY(refused["conflict.so"].contains("Linear is already registered"));

        // Other commands warn about refused plugins on stderr and go on.
        const Result d = cli({"datasets"}, kTestPlugins);
        QCOMPARE(d.code, 0);
        QVERIFY(d.out.contains("xor"));
        QVERIFY2(d.err.contains("neura: warning: plugin " + kTestPlugins + "/bad_api.so refused: was built for plugin API 0"),
                 qPrintable(d.err));
        // And the text form.
        const Result t = cli({"plugins"}, kTestPlugins);
        QCOMPARE(t.code, 0);
        QVERIFY2(t.out.contains("swish 1.0.0") && t.out.contains("gradient check passed") &&
                     t.out.contains("gradient check failed") && t.out.contains("refused "),
                 qPrintable(t.out));
    }
};

QTEST_GUILESS_MAIN(TestPlugins)
#include "tst_plugins.moc"
