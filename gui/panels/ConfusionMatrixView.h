#pragma once
// ConfusionMatrixView: a classes × classes grid (row = true class, column = predicted, as
// scikit-learn's confusion_matrix), each cell shaded by its share of the row and labelled with its
// count or its row-normalised fraction; class names along both axes. Clicking a cell selects it and
// emits cellActivated. Colours come from the palette, so it reads in the light and the dark theme.
#include <QString>
#include <QStringList>
#include <QWidget>
#include <cstdint>
#include <vector>

namespace neura::gui {

class ConfusionMatrixView : public QWidget {
    Q_OBJECT
public:
    explicit ConfusionMatrixView(QWidget* parent = nullptr);

    // `counts` holds classes × classes values, row-major; empty clears the view.
    void setMatrix(std::vector<std::int64_t> counts, const QStringList& classNames);
    void setNormalized(bool rowNormalized);
    bool isNormalized() const { return normalized_; }
    int classes() const { return classes_; }
    std::int64_t count(int truth, int predicted) const;
    // What the cell shows: the count, or count / row sum (0 for an empty row).
    double value(int truth, int predicted) const;
    QString cellText(int truth, int predicted) const;
    // Where the cell is drawn, in widget coordinates (empty when out of range).
    QRect cellRect(int truth, int predicted) const;
    int selectedTruth() const { return selTruth_; }
    int selectedPredicted() const { return selPred_; }
    // Selects a cell as a click does (emits cellActivated); -1, -1 clears the selection silently.
    void activateCell(int truth, int predicted);

    QSize sizeHint() const override { return {320, 280}; }
    QSize minimumSizeHint() const override { return {160, 140}; }

signals:
    void cellActivated(int truth, int predicted);

protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent* e) override;

private:
    struct Geometry {
        double left = 0, top = 0, cell = 0;
    };
    Geometry geometry() const;

    std::vector<std::int64_t> counts_;
    QStringList names_;
    int classes_ = 0;
    bool normalized_ = false;
    int selTruth_ = -1, selPred_ = -1;
};

}  // namespace neura::gui
