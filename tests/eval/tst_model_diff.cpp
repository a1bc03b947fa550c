// diff_models() and `neura diff`: crafted pairs of graphs (a widened Linear, an added Dropout, a removed
// node, a rewired edge, a changed type) give exactly those differences; identical graphs — also when
// one writes its defaults out and was built in another order — give none. Parameter counts are worked
// out by hand from PyTorch's Linear (in * out + out), multiply-accumulates as in * out per sample.
#include <QtTest>

#include "cli/CliSupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include "neura/eval/ModelDiff.h"
#include "neura/graph/Graph.h"

using namespace neura;
using namespace neura::graph;
using neura::eval::diff_models;
using neura::eval::EdgeEntry;
using neura::test::cli::Result;
using neura::test::cli::run_neura;

namespace {

NodeId chain(ModelGraph& g, NodeId from, const std::string& type, const std::string& name, AttributeMap attrs = {}) {
    const NodeId id = g.add_node(type, name, std::move(attrs));
    g.add_edge(from, id);
    return id;
}

// input[2] → fc1 Linear(64) → relu1 → fc2 Linear(64) → relu2 → fc3 Linear(3) → loss.
// Parameters: 2*64+64 + 64*64+64 + 64*3+3 = 192 + 4160 + 195 = 4547.
ModelGraph mlp(std::int64_t width1 = 64) {
    ModelGraph g;
    NodeId n = g.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{2}}});
    n = chain(g, n, "Linear", "fc1", {{"out_features", width1}});
    n = chain(g, n, "ReLU", "relu1");
    n = chain(g, n, "Linear", "fc2", {{"out_features", std::int64_t{64}}});
    n = chain(g, n, "ReLU", "relu2");
    n = chain(g, n, "Linear", "fc3", {{"out_features", std::int64_t{3}}});
    chain(g, n, "Loss", "loss", {{"type", std::string("CrossEntropyLoss")}});
    return g;
}

EdgeEntry edge(const std::string& from, const std::string& to, std::int64_t to_port = 0) {
    return {from, 0, to, to_port};
}

}  // namespace

class TestModelDiff : public QObject {
    Q_OBJECT
private slots:
    void identical_graphs_have_no_differences() {
        const auto d = diff_models(mlp(), mlp());
        QVERIFY(d.identical());
        QCOMPARE(d.old_parameters, std::int64_t{4547});
        QCOMPARE(d.new_parameters, std::int64_t{4547});
        // MACs: 2*64 + 64*64 + 64*3 = 4416.
        QCOMPARE(QString::fromStdString(eval::describe(d)),
                 QString("no differences\nparameters: 4547 → 4547 (+0)\nMACs per sample: 4416 → 4416 (+0)\n"));
        // The JSON round trip writes every default out (fc1's in_features 0, bias true, ...) and the
        // same graph built backwards has other ids: still the same model.
        const ModelGraph round = from_json(to_json(mlp()));
        QVERIFY(diff_models(mlp(), round).identical());
        ModelGraph backwards;
        const NodeId loss = backwards.add_node("Loss", "loss", {{"type", std::string("CrossEntropyLoss")}});
        const NodeId fc3 = backwards.add_node("Linear", "fc3", {{"out_features", std::int64_t{3}}});
        const NodeId relu2 = backwards.add_node("ReLU", "relu2");
        const NodeId fc2 = backwards.add_node("Linear", "fc2", {{"out_features", std::int64_t{64}}});
        const NodeId relu1 = backwards.add_node("ReLU", "relu1");
        const NodeId fc1 = backwards.add_node("Linear", "fc1", {{"out_features", std::int64_t{64}}});
        const NodeId input = backwards.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{2}}});
        backwards.add_edge(fc3, loss);
        backwards.add_edge(relu2, fc3);
        backwards.add_edge(fc2, relu2);
        backwards.add_edge(relu1, fc2);
        backwards.add_edge(fc1, relu1);
        backwards.add_edge(input, fc1);
        QVERIFY(diff_models(mlp(), backwards).identical());
    }

    void widened_linear_is_one_attribute_change() {
        const auto d = diff_models(mlp(64), mlp(128));
        QVERIFY(d.added.empty() && d.removed.empty() && d.added_edges.empty() && d.removed_edges.empty());
        QCOMPARE(d.changed.size(), std::size_t{1});
        const auto& c = d.changed[0];
        QCOMPARE(c.name, std::string("fc1"));
        QVERIFY(!c.type_changed());
        QCOMPARE(c.attributes.size(), std::size_t{1});
        QCOMPARE(c.attributes[0].name, std::string("out_features"));
        QCOMPARE(c.attributes[0].old_value, std::string("64"));
        QCOMPARE(c.attributes[0].new_value, std::string("128"));
        // fc1: 2*64+64 = 192 → 2*128+128 = 384; fc2 takes 128 inputs: 128*64+64 = 8256.
        QCOMPARE(c.old_parameters, std::int64_t{192});
        QCOMPARE(c.new_parameters, std::int64_t{384});
        QCOMPARE(d.new_parameters, std::int64_t{384 + 8256 + 195});
        QCOMPARE(d.old_macs, std::int64_t{2 * 64 + 64 * 64 + 64 * 3});
        QCOMPARE(d.new_macs, std::int64_t{2 * 128 + 128 * 64 + 64 * 3});
        QVERIFY(QString::fromStdString(eval::describe(d)).contains("~ fc1 (Linear): out_features 64 → 128\n"));
    }

    void added_dropout_is_one_node_and_its_edges() {
        ModelGraph b = mlp();
        const NodeId relu1 = b.find_node("relu1"), fc2 = b.find_node("fc2");
        b.remove_edge(*b.edge_into({fc2, PortIndex{0}}));
        const NodeId drop = b.add_node("Dropout", "drop", {{"p", 0.25}});
        b.add_edge(relu1, drop);
        b.add_edge(drop, fc2);
        const auto d = diff_models(mlp(), b);
        QCOMPARE(d.added.size(), std::size_t{1});
        QCOMPARE(d.added[0].name, std::string("drop"));
        QCOMPARE(d.added[0].type, std::string("Dropout"));
        QCOMPARE(d.added[0].id, drop);
        QVERIFY(d.removed.empty() && d.changed.empty());
        QCOMPARE(d.added_edges, (std::vector<EdgeEntry>{edge("drop", "fc2"), edge("relu1", "drop")}));
        QCOMPARE(d.removed_edges, (std::vector<EdgeEntry>{edge("relu1", "fc2")}));
        QCOMPARE(d.new_parameters, d.old_parameters);  // Dropout has none
    }

    void removed_node_and_rewired_edge() {
        // relu2 removed: fc2 feeds fc3 directly.
        ModelGraph b = mlp();
        b.remove_node(b.find_node("relu2"));
        b.add_edge(b.find_node("fc2"), b.find_node("fc3"));
        auto d = diff_models(mlp(), b);
        QCOMPARE(d.removed.size(), std::size_t{1});
        QCOMPARE(d.removed[0].name, std::string("relu2"));
        QCOMPARE(d.removed[0].type, std::string("ReLU"));
        QCOMPARE(d.removed[0].id, mlp().find_node("relu2"));
        QVERIFY(d.added.empty() && d.changed.empty());
        QCOMPARE(d.added_edges, (std::vector<EdgeEntry>{edge("fc2", "fc3")}));
        QCOMPARE(d.removed_edges, (std::vector<EdgeEntry>{edge("fc2", "relu2"), edge("relu2", "fc3")}));

        // Rewired: fc3 reads relu1 instead of relu2 (relu2 stays, unused). Only the edge differs.
        ModelGraph c = mlp();
        const NodeId fc3 = c.find_node("fc3");
        c.remove_edge(*c.edge_into({fc3, PortIndex{0}}));
        c.add_edge(c.find_node("relu1"), fc3);
        d = diff_models(mlp(), c);
        QVERIFY(d.added.empty() && d.removed.empty() && d.changed.empty());
        QCOMPARE(d.added_edges, (std::vector<EdgeEntry>{edge("relu1", "fc3")}));
        QCOMPARE(d.removed_edges, (std::vector<EdgeEntry>{edge("relu2", "fc3")}));

        // Ports count: an Add's two inputs swapped are two removed and two added edges.
        auto sum = [](bool swapped) {
            ModelGraph g;
            const NodeId in = g.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{4}}});
            const NodeId a = chain(g, in, "Linear", "fa", {{"out_features", std::int64_t{4}}});
            const NodeId b = chain(g, in, "Linear", "fb", {{"out_features", std::int64_t{4}}});
            const NodeId add = g.add_node("Add", "add");
            g.add_edge({swapped ? b : a, PortIndex{0}}, {add, PortIndex{0}});
            g.add_edge({swapped ? a : b, PortIndex{0}}, {add, PortIndex{1}});
            return g;
        };
        d = diff_models(sum(false), sum(true));
        QVERIFY(d.added.empty() && d.removed.empty() && d.changed.empty());
        QCOMPARE(d.added_edges, (std::vector<EdgeEntry>{edge("fa", "add", 1), edge("fb", "add", 0)}));
        QCOMPARE(d.removed_edges, (std::vector<EdgeEntry>{edge("fa", "add", 0), edge("fb", "add", 1)}));
    }

    void changed_type_and_unnamed_nodes() {
        ModelGraph b = mlp();
        const NodeId relu1 = b.find_node("relu1");
        Node n = b.node(relu1);
        n.type = "Tanh";
        const auto edges_in = b.edges_into(relu1), edges_out = b.edges_out_of(relu1);
        std::vector<Edge> keep;
        for (auto e : edges_in) keep.push_back(b.edge(e));
        for (auto e : edges_out) keep.push_back(b.edge(e));
        b.remove_node(relu1);
        b.add_node(n);
        for (const auto& e : keep) b.add_edge(e);
        auto d = diff_models(mlp(), b);
        QCOMPARE(d.changed.size(), std::size_t{1});
        QCOMPARE(d.changed[0].name, std::string("relu1"));
        QCOMPARE(d.changed[0].old_type, std::string("ReLU"));
        QCOMPARE(d.changed[0].new_type, std::string("Tanh"));
        QVERIFY(d.changed[0].attributes.empty());
        QVERIFY(d.added_edges.empty() && d.removed_edges.empty());

        // Nodes without names are matched by id: fc2 unnamed on both sides, its width changed.
        ModelGraph x = mlp(), y = mlp();
        const NodeId fc2 = x.find_node("fc2");
        x.set_name(fc2, "");
        y.set_name(fc2, "");
        y.set_attribute(fc2, "out_features", std::int64_t{32});
        d = diff_models(x, y);
        QCOMPARE(d.changed.size(), std::size_t{1});
        QCOMPARE(d.changed[0].name, "#" + std::to_string(fc2.value));
        QCOMPARE(d.changed[0].attributes[0].new_value, std::string("32"));
        QVERIFY(d.added.empty() && d.removed.empty() && d.added_edges.empty() && d.removed_edges.empty());
    }

    void cli_diff_of_two_projects() {
        QTemporaryDir dir;
        auto save = [&](const QString& name, const ModelGraph& g) {
            project::Project p;
            p.model_json = to_json(g);
            const QString path = dir.filePath(name);
            project::save_project(path.toStdString(), p);
            return path;
        };
        ModelGraph b = mlp(128);
        b.remove_node(b.find_node("relu2"));
        b.add_edge(b.find_node("fc2"), b.find_node("fc3"));
        const QString pa = save("a.neura", mlp()), pb = save("b.neura", b);

        const Result text = run_neura({"diff", pa, pb});
        QCOMPARE(text.code, 0);
        QVERIFY2(text.out.contains("- relu2 (ReLU)\n"), qPrintable(text.out));
        QVERIFY2(text.out.contains("~ fc1 (Linear): out_features 64 → 128\n"), qPrintable(text.out));
        QVERIFY2(text.out.contains("+ edge fc2[0] → fc3[0]\n"), qPrintable(text.out));

        const Result js = run_neura({"diff", pa, pb, "--json"});
        QCOMPARE(js.code, 0);
        const QJsonObject j = QJsonDocument::fromJson(js.out.toUtf8()).object();
        const QStringList keys = {"identical",     "parameters",  "macs",       "added_nodes", "removed_nodes",
                                  "changed_nodes", "removed_edges", "added_edges"};
        for (const auto& k : keys) QVERIFY2(j.contains(k), qPrintable(k));
        QCOMPARE(j["identical"].toBool(), false);
        QCOMPARE(j["parameters"].toObject()["old"].toInt(), 4547);
        QCOMPARE(j["parameters"].toObject()["new"].toInt(), 384 + 8256 + 195);
        QCOMPARE(j["macs"].toObject()["old"].toInt(), 2 * 64 + 64 * 64 + 64 * 3);
        QCOMPARE(j["macs"].toObject()["new"].toInt(), 2 * 128 + 128 * 64 + 3 * 64);  // relu2 gone: fc2 → fc3
        QCOMPARE(j["added_nodes"].toArray().size(), 0);
        QCOMPARE(j["removed_nodes"].toArray()[0].toObject()["name"].toString(), QString("relu2"));
        const QJsonObject fc1 = j["changed_nodes"].toArray()[0].toObject();
        QCOMPARE(fc1["name"].toString(), QString("fc1"));
        const QJsonObject width = fc1["attributes"].toArray()[0].toObject();
        QCOMPARE(width["name"].toString(), QString("out_features"));
        QCOMPARE(width["old"].toString(), QString("64"));
        QCOMPARE(width["new"].toString(), QString("128"));
        const QJsonObject added = j["added_edges"].toArray()[0].toObject();
        QCOMPARE(added["from"].toString(), QString("fc2"));
        QCOMPARE(added["to"].toString(), QString("fc3"));
        QCOMPARE(added["to_port"].toInt(), 0);
        QCOMPARE(j["removed_edges"].toArray().size(), 2);

        const Result same = run_neura({"diff", pa, pa, "--json"});
        QCOMPARE(same.code, 0);
        QCOMPARE(QJsonDocument::fromJson(same.out.toUtf8()).object()["identical"].toBool(), true);

        // Two runs of one project: their stored models (schema 2); a run without one is a failure.
        project::Project runs;
        runs.model_json = to_json(mlp());
        for (const std::string& model : {to_json(mlp()), to_json(mlp(128)), std::string()}) {
            project::RunRecord r;
            r.started_at = project::utc_now_iso8601();
            r.status = project::run_status::kCompleted;
            r.model_json = model;
            runs.runs.push_back(r);
        }
        const QString pr = dir.filePath("runs.neura");
        project::save_project(pr.toStdString(), runs);
        const Result two = run_neura({"diff", pr, "--run", "1", "--run", "2", "--json"});
        QCOMPARE(two.code, 0);
        const QJsonObject t = QJsonDocument::fromJson(two.out.toUtf8()).object();
        QCOMPARE(t["changed_nodes"].toArray().size(), 1);
        QCOMPARE(t["changed_nodes"].toArray()[0].toObject()["name"].toString(), QString("fc1"));
        QCOMPARE(t["added_nodes"].toArray().size(), 0);
        const Result none = run_neura({"diff", pr, "--run", "1", "--run", "3"});
        QCOMPARE(none.code, 1);
        QVERIFY2(none.err.contains("run 3") && none.err.contains("no stored model"), qPrintable(none.err));
        const Result absent = run_neura({"diff", pr, "--run", "1", "--run", "9"});
        QCOMPARE(absent.code, 1);
        QVERIFY2(absent.err.contains("no run 9"), qPrintable(absent.err));
        QCOMPARE(run_neura({"diff", pr, "--run", "1"}).code, 2);
        QCOMPARE(run_neura({"diff", pr, "--run", "x", "--run", "2"}).code, 2);

        // Usage: one file without --run is bad usage; a missing file is a failure naming it.
        QCOMPARE(run_neura({"diff", pa}).code, 2);
        const Result missing = run_neura({"diff", pa, dir.filePath("nope.neura")});
        QCOMPARE(missing.code, 1);
        QVERIFY2(missing.err.contains("nope.neura"), qPrintable(missing.err));
    }
};

QTEST_GUILESS_MAIN(TestModelDiff)
#include "tst_model_diff.moc"
