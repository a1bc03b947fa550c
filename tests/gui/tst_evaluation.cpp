// The studio's Evaluation dock and model costs, on trained examples: the confusion matrix shows the
// engine's counts (rows add up to the split's class counts, counted here from its labels), a real click
// on a cell lists exactly that cell's samples, row-normalised rows sum to 1, integrated gradients add up
// to f(x) − f(baseline), the regression tab shows the engine's MSE, and the status bar the model's MACs.
#include <QAbstractItemView>
#include <QComboBox>
#include <QLabel>
#include <QListWidget>
#include <QSpinBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <map>

#include "app/MainWindow.h"
#include "gui/QuietWindow.h"
#include "gui/TrainedExample.h"
#include "neura/eval/Evaluation.h"
#include "neura/graph/ModelJson.h"
#include "neura/graph/ShapeReport.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"
#include "panels/ConfusionMatrixView.h"
#include "panels/EvaluationPanel.h"

using namespace neura;

namespace {

// projects/src/<name>.model.json on `dataset` ("digits,image=true"), trained for `epochs` and saved.
QString trained(const QTemporaryDir& dir, const QString& name, const QString& dataset, int epochs) {
    project::Project p;
    p.model_json = test::readText(QStringLiteral(NEURA_SOURCE_DIR "/projects/src/") + name + ".model.json");
    const QStringList parts = dataset.split(QLatin1Char(','));
    train::DatasetSpec spec;
    spec.name = parts.front().toStdString();
    for (const QString& kv : parts.mid(1)) spec.params[kv.section('=', 0, 0).toStdString()] = kv.section('=', 1).toStdString();
    p.dataset_json = spec.to_json();
    train::TrainConfig cfg;
    cfg.epochs = epochs;
    cfg.optimizer = "Adam";
    cfg.lr = 0.01;
    p.train_config_json = cfg.to_json();
    train::Experiment ex(p, cfg);
    ex.store(p, ex.run({}), project::utc_now_iso8601());
    const QString path = dir.filePath(name + ".neura");
    project::save_project(path.toStdString(), p);
    return path;
}

// Evaluates the validation split in the window's dock and waits for the result.
gui::EvaluationPanel* evaluated(test::QuietWindow& w) {
    auto* panel = w.evaluationPanel();
    panel->setSplit("val");
    panel->evaluate();
    for (int i = 0; i < 1200 && (panel->isRunning() || !panel->result()); ++i) QTest::qWait(100);
    return panel;
}

}  // namespace

class TestEvaluation : public QObject {
    Q_OBJECT

    // The confusion matrix against the engine and the split's own labels, a clicked cell's samples, and
    // the row-normalised view; returns the clicked cell's listed rows.
    static std::vector<std::int64_t> checkConfusion(gui::EvaluationPanel* panel, const QString& path, int& truth, int& pred) {
        const project::Project p = project::load_project(path.toStdString());
        const eval::ProjectEvaluation engine = eval::evaluate_project(p, "val");
        const eval::Evaluation& e = engine.evaluation;
        gui::ConfusionMatrixView* view = panel->confusionView();
        const int k = static_cast<int>(e.classes());
        [&] { QCOMPARE(view->classes(), k); }();
        // Class counts of the validation split, from its labels.
        const train::TrainConfig cfg = train::TrainConfig::from_json(p.train_config_json);
        train::Experiment ex(p, cfg);
        std::map<std::int64_t, std::int64_t> labels;
        for (std::int64_t i = 0; i < ex.val_set()->size(); ++i) ++labels[ex.val_set()->label(i)];
        std::int64_t best = -1;
        truth = pred = 0;
        for (int t = 0; t < k; ++t) {
            std::int64_t row = 0;
            for (int c = 0; c < k; ++c) {
                [&] { QCOMPARE(view->count(t, c), e.classification.count(t, c)); }();
                row += view->count(t, c);
                if (t != c && view->count(t, c) > best) best = view->count(t, c), truth = t, pred = c;
            }
            [&] { QCOMPARE(row, labels[t]); }();
        }
        if (best <= 0) truth = pred = 0;  // no mistakes: a diagonal cell
        // A real click in the middle of the cell.
        panel->tabs()->setCurrentIndex(0);
        const QRect cell = view->cellRect(truth, pred);
        [&] { QVERIFY(!cell.isEmpty()); }();
        QTest::mouseClick(view, Qt::LeftButton, {}, cell.center());
        [&] { QCOMPARE(view->selectedTruth(), truth); }();
        [&] { QCOMPARE(view->selectedPredicted(), pred); }();
        const std::vector<std::int64_t> rows = panel->listedRows();
        [&] { QCOMPARE(static_cast<std::int64_t>(rows.size()), e.classification.count(truth, pred)); }();
        [&] { QCOMPARE(panel->sampleView()->model()->rowCount(), static_cast<int>(rows.size())); }();
        for (std::int64_t r : rows) {
            [&] { QCOMPARE(e.truth[static_cast<std::size_t>(r)], std::int64_t{truth}); }();
            [&] { QCOMPARE(e.predicted[static_cast<std::size_t>(r)], std::int64_t{pred}); }();
        }
        // Row-normalised: every row with samples sums to 1.
        auto* mode = panel->findChild<QComboBox*>("confusionMode");
        mode->setCurrentIndex(1);
        [&] { QVERIFY(view->isNormalized()); }();
        for (int t = 0; t < k; ++t) {
            double sum = 0;
            for (int c = 0; c < k; ++c) sum += view->value(t, c);
            [&] { QVERIFY2(std::abs(sum - 1.0) < 1e-9, qPrintable(QString("row %1 sums to %2").arg(t).arg(sum))); }();
        }
        mode->setCurrentIndex(0);
        return rows;
    }

    // Integrated gradients of the first listed sample, chosen in the list: they add up to f(x) − f(baseline).
    static void checkSaliency(gui::EvaluationPanel* panel, const std::vector<std::int64_t>& rows, int pred) {
        QVERIFY(!rows.empty());
        QAbstractItemView* list = panel->sampleView();
        list->setCurrentIndex(list->model()->index(0, 0));
        const auto& e = panel->result()->evaluation;
        const std::int64_t sample = e.row_sample[static_cast<std::size_t>(rows.front())];
        QCOMPARE(panel->findChild<QSpinBox*>("saliencySample")->value(), static_cast<int>(sample));
        auto* method = panel->findChild<QComboBox*>("saliencyMethod");
        QCOMPARE(method->currentData().toInt(), static_cast<int>(eval::SaliencyMethod::IntegratedGradients));
        const auto& s = panel->saliency();
        QVERIFY(s.has_value());
        QCOMPARE(s->target, std::int64_t{pred});  // the predicted class by default
        const double sum = s->attributions.sum().item<double>();
        QVERIFY2(std::abs(sum - (s->output - s->baseline_output)) < 1e-3,
                 qPrintable(QString("attributions sum to %1, f(x) - f(baseline) = %2").arg(sum).arg(s->output - s->baseline_output)));
        QVERIFY2(panel->saliencyText().contains("f(x) − f(baseline)"), qPrintable(panel->saliencyText()));
    }

private slots:
    void digits_cnn_images() {
        QTemporaryDir dir;
        const QString path = trained(dir, "digits-cnn", "digits,image=true", 2);
        test::QuietWindow w;
        w.resize(1600, 1000);
        QVERIFY(w.openFile(path));
        gui::EvaluationPanel* panel = evaluated(w);
        QVERIFY2(panel->result(), qPrintable(panel->statusText()));
        int truth = 0, pred = 0;
        const auto rows = checkConfusion(panel, path, truth, pred);
        if (QTest::currentTestFailed()) return;
        QVERIFY(qobject_cast<QListWidget*>(panel->sampleView()));  // images: thumbnails
        checkSaliency(panel, rows, pred);
        if (QTest::currentTestFailed()) return;
        // Gradient x input on the same sample: one attribution per pixel.
        panel->findChild<QComboBox*>("saliencyMethod")->setCurrentIndex(1);
        QVERIFY(panel->saliency().has_value());
        QCOMPARE(panel->saliency()->attributions.numel(), panel->result()->split_data().feature_numel());

        // The status bar's MACs: the model's total as infer_shapes counts it, in thousands.
        const auto report = graph::infer_shapes(graph::from_json(project::load_project(path.toStdString()).model_json));
        QVERIFY(report.macs_complete);
        QVERIFY(report.total_macs >= 10000 && report.total_macs < 100000);
        const QString expected = QString::number(report.total_macs / 1000.0, 'f', 1) + "K MACs";
        auto* totals = w.statusBar()->findChild<QLabel*>("totalsLabel");
        QVERIFY(totals);
        QVERIFY2(totals->text().contains(" " + expected), qPrintable(totals->text() + " lacks " + expected));
    }

    void iris_table() {
        QTemporaryDir dir;
        const QString path = trained(dir, "iris", "iris", 30);
        test::QuietWindow w;
        w.resize(1600, 1000);
        QVERIFY(w.openFile(path));
        gui::EvaluationPanel* panel = evaluated(w);
        QVERIFY2(panel->result(), qPrintable(panel->statusText()));
        int truth = 0, pred = 0;
        const auto rows = checkConfusion(panel, path, truth, pred);
        if (QTest::currentTestFailed()) return;
        // Tables: one row per sample, with each class's probability (they add up to 1) and the features.
        auto* table = qobject_cast<QTableWidget*>(panel->sampleView());
        QVERIFY(table);
        const int classes = static_cast<int>(panel->result()->evaluation.classes());
        QCOMPARE(table->columnCount(), 3 + classes + static_cast<int>(panel->result()->split_data().feature_numel()));
        for (int r = 0; r < table->rowCount(); ++r) {
            double sum = 0;
            for (int c = 0; c < classes; ++c) sum += table->item(r, 3 + c)->text().toDouble();
            QVERIFY(std::abs(sum - 1.0) < 0.01);
        }
        checkSaliency(panel, rows, pred);
    }

    void sine_regression() {
        QTemporaryDir dir;
        const QString path = trained(dir, "sine-regression", "sine,n=400,noise=0.05,seed=1", 20);
        test::QuietWindow w;
        w.resize(1600, 1000);
        QVERIFY(w.openFile(path));
        gui::EvaluationPanel* panel = evaluated(w);
        QVERIFY2(panel->result(), qPrintable(panel->statusText()));
        const eval::ProjectEvaluation engine = eval::evaluate_project(project::load_project(path.toStdString()), "val");
        QVERIFY(!engine.evaluation.is_classification());
        QTabWidget* tabs = panel->tabs();
        QVERIFY(!tabs->isTabVisible(0));  // no confusion matrix
        bool regressionShown = false;
        for (int i = 0; i < tabs->count(); ++i) regressionShown |= tabs->tabText(i) == "Regression" && tabs->isTabVisible(i);
        QVERIFY(regressionShown);
        const QString mse = QString::number(engine.evaluation.regression.mse, 'g', 5);
        QVERIFY2(panel->regressionText().contains("MSE " + mse), qPrintable(panel->regressionText() + " lacks MSE " + mse));
    }

    void untrained_project_says_so() {
        test::QuietWindow w;
        w.newDocument();
        auto* panel = w.evaluationPanel();
        QSignalSpy failed(panel, &gui::EvaluationPanel::failed);
        panel->evaluate();
        QCOMPARE(failed.count(), 1);
        QVERIFY(!panel->result());
        QVERIFY(panel->statusText().contains("not trained"));
        QVERIFY(w.errors.isEmpty());  // a sentence, not an error dialog
    }
};

QTEST_MAIN(TestEvaluation)
#include "tst_evaluation.moc"
