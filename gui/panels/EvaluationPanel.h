#pragma once
// EvaluationPanel: where the trained model is right and wrong (docs/evaluation.md). Evaluate runs
// neura::eval::evaluate_project over the validation or training split on a worker thread; the panel
// then shows, for classification, the confusion matrix (counts or row-normalised; a click lists the
// cell's samples, as thumbnails for images or feature rows for tables, with their probabilities), the
// per-class scores, and the ROC and precision-recall curves; for regression, predicted against actual,
// the residuals and MSE, MAE and R². Saliency explains one sample's output (gradient × input or
// integrated gradients) as a heat map over an image or one bar per feature. It works on a copy of the
// project taken when evaluation starts; results from an older copy stay until the next run ends.
#include <QString>
#include <QWidget>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "neura/eval/Evaluation.h"
#include "neura/eval/Saliency.h"
#include "neura/project/Project.h"
#include "session/BackgroundTask.h"

class QAbstractItemView;
class QComboBox;
class QCustomPlot;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QTabWidget;
class QTableWidget;

namespace neura::gui {

class ConfusionMatrixView;

class EvaluationPanel : public QWidget {
    Q_OBJECT
public:
    explicit EvaluationPanel(QWidget* parent = nullptr);
    ~EvaluationPanel() override;  // a running evaluation is told to stop, waited for a little, then abandoned

    // Where Evaluate takes the project from (the main window's current project).
    void setProjectSource(std::function<project::Project()> source);

    // "val" or "train".
    QString split() const;
    void setSplit(const QString& split);
    bool isRunning() const { return running_; }
    bool stopAndWait(int ms);
    // The last evaluation that finished (null before one has).
    const eval::ProjectEvaluation* result() const { return result_.get(); }
    QString statusText() const;

    ConfusionMatrixView* confusionView() const { return confusion_; }
    // The rows (indices into result()->evaluation) the sample list shows, in order.
    std::vector<std::int64_t> listedRows() const;
    QAbstractItemView* sampleView() const;  // the thumbnails (images) or the feature table
    QTableWidget* scoresTable() const { return scores_; }
    QString regressionText() const;
    QTabWidget* tabs() const { return tabs_; }

    // Saliency for one sample of the split (an index into result()->split_data()).
    void showSaliency(std::int64_t sample, eval::SaliencyMethod method, std::int64_t target = -1);
    const std::optional<eval::Saliency>& saliency() const { return saliency_; }
    QString saliencyText() const;

signals:
    void started();
    void finished();                      // results are shown
    void failed(const QString& message);  // in words: not trained, no validation split, ...

public slots:
    void evaluate();
    void stop();
    // The project changed (opened, trained): results are stale; evaluates now when the panel is
    // visible, else when it is next shown. Untrained projects show a sentence.
    void projectChanged();

protected:
    void showEvent(QShowEvent* e) override;

private:
    void finishRun(std::shared_ptr<eval::ProjectEvaluation> result, const QString& error, bool stopped);
    void showResult();
    void showCell(int truth, int predicted);
    void showScores();
    void showCurves();
    void showRegression();
    void computeSaliency();
    void clearResults(const QString& message);
    bool imageData() const;
    QImage sampleImage(std::int64_t sample) const;

    std::function<project::Project()> source_;
    BackgroundTask task_{this};
    bool running_ = false, stale_ = true, again_ = false;
    std::shared_ptr<eval::ProjectEvaluation> result_;
    std::optional<eval::Saliency> saliency_;

    QComboBox* split_ = nullptr;
    QPushButton* evaluateButton_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* status_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    QWidget* confusionTab_ = nullptr;
    QWidget* scoresTab_ = nullptr;
    QWidget* curvesTab_ = nullptr;
    QWidget* regressionTab_ = nullptr;
    QWidget* saliencyTab_ = nullptr;
    ConfusionMatrixView* confusion_ = nullptr;
    QComboBox* normalize_ = nullptr;
    QLabel* cellLabel_ = nullptr;
    QStackedWidget* samples_ = nullptr;
    QListWidget* thumbnails_ = nullptr;
    QTableWidget* featureRows_ = nullptr;
    QTableWidget* scores_ = nullptr;
    QLabel* warnings_ = nullptr;
    QCustomPlot* roc_ = nullptr;
    QCustomPlot* pr_ = nullptr;
    QCustomPlot* scatter_ = nullptr;
    QCustomPlot* residuals_ = nullptr;
    QLabel* regressionLabel_ = nullptr;
    QSpinBox* sample_ = nullptr;
    QComboBox* method_ = nullptr;
    QComboBox* target_ = nullptr;
    QLabel* saliencyLabel_ = nullptr;
    QStackedWidget* saliencyView_ = nullptr;
    QLabel* imageLabel_ = nullptr;
    QLabel* heatLabel_ = nullptr;
    QCustomPlot* bars_ = nullptr;
};

}  // namespace neura::gui
