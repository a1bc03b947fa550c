#pragma once
// GradcheckPanel: checks the analytic gradients of the project's layers against central differences
// (neura::train::check_layers) on one batch, on a worker thread, and shows per layer and per tensor
// the errors, the tolerance and the verdict. It works on a copy of the project: a fresh Experiment is
// built from that copy on the worker, so the document can keep changing while a check runs.
#include <QMap>
#include <QString>
#include <QWidget>
#include <memory>
#include <set>
#include <vector>

#include "neura/graph/Ids.h"
#include "neura/project/Project.h"
#include "neura/train/LayerGradcheck.h"
#include "session/BackgroundTask.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTreeWidget;

namespace neura::gui {

class GradcheckPanel : public QWidget {
    Q_OBJECT
public:
    explicit GradcheckPanel(QWidget* parent = nullptr);
    ~GradcheckPanel() override;  // stops a running check; waits for it a little, then abandons it

    void setProject(const project::Project& project);
    void setSelectedNodes(std::set<graph::NodeId> nodes);

    // The form as options (`only` stays empty: checkSelected() fills it) and the comparison dtype.
    train::LayerGradcheckOptions options() const;
    void setOptions(const train::LayerGradcheckOptions& options);
    DType dtype() const;  // F64 (the real check) or F32 (to show how finite differences mislead there)
    void setDType(DType dtype);

    bool isRunning() const { return running_; }
    // Stops a running check and waits up to `ms` for it; one still running then is abandoned (its
    // results never arrive). True when no check is left running.
    bool stopAndWait(int ms);
    const std::vector<train::LayerGradcheckResult>& results() const { return results_; }
    QString summary() const;
    QTreeWidget* resultTree() const { return tree_; }

    // One row per checked tensor, with a header; layers that could not be checked have no row.
    // Returns false (and sets *error) when the file cannot be written.
    bool exportCsv(const QString& path, QString* error = nullptr) const;

    // 0 green (passed), 1 amber (passed, but the max relative error exceeds rtol / 10), 2 red (failed).
    static int verdictOf(const train::LayerGradcheckResult& result, double rtol);

signals:
    void started();
    void progress(int done, int total);
    void finished(std::vector<neura::train::LayerGradcheckResult> results);  // also after a cancel
    void cancelled();                     // before finished(), when cancel() ended the run early
    void failed(const QString& message);  // the project could not be built into a network
    void nodeResults(QMap<quint32, int> verdicts);

public slots:
    void checkAll();
    void checkSelected();
    void cancel();

private:
    void start(std::set<graph::NodeId> only);
    void finishRun(std::vector<train::LayerGradcheckResult> results, bool stopped, const QString& error);
    void showResults();
    void exportCsvInteractively();
    void updateEnabled();

    project::Project project_;
    bool hasProject_ = false;
    std::set<graph::NodeId> selected_;
    std::vector<train::LayerGradcheckResult> results_;
    train::LayerGradcheckOptions runOptions_;  // the options of the run results_ came from
    DType runDType_ = DType::F64;
    double runSeconds_ = 0.0;

    BackgroundTask task_{this};
    bool running_ = false;

    QLineEdit* eps_;  // line edits: these values are written in scientific notation
    QLineEdit* atol_;
    QLineEdit* rtol_;
    QSpinBox* maxElements_;
    QSpinBox* batchRows_;
    QSpinBox* seed_;
    QComboBox* dtype_;
    QLabel* dtypeNote_;
    QPushButton* checkSelected_;
    QPushButton* checkAll_;
    QPushButton* cancel_;
    QPushButton* export_;
    QProgressBar* progressBar_;
    QTreeWidget* tree_;
    QLabel* summary_;
};

}  // namespace neura::gui

Q_DECLARE_METATYPE(std::vector<neura::train::LayerGradcheckResult>)
