#pragma once
// DatasetPanel: pick a built-in dataset (or a CSV / IDX file) with a form generated from the
// registry's parameter descriptions, and see a preview: a scatter plot coloured by class for 2-D and
// tabular sets, an image grid for image sets, and its size, shape and classes.
#include <QMap>
#include <QString>
#include <QVariantMap>
#include <QWidget>

#include "neura/data/DatasetRegistry.h"
#include "neura/project/Project.h"

class QComboBox;
class QCustomPlot;
class QFormLayout;
class QLabel;
class QStackedWidget;
class QTimer;

namespace neura::gui {

class DatasetPanel : public QWidget {
    Q_OBJECT
public:
    explicit DatasetPanel(QWidget* parent = nullptr);

    // Shows `name` with `params` (missing ones take their defaults). Returns false (and keeps the
    // current choice) for an unknown name. datasetChanged follows only `asUserChoice` (as when the
    // user picks it: the window then updates the project and the Input's shape).
    bool setDataset(const QString& name, const data::DatasetParams& params = {}, bool asUserChoice = false);
    // project.dataset_json ↔ the panel ({"name": ..., "params": {...}}).
    bool loadFromProject(const project::Project& project);
    void saveToProject(project::Project& project) const;

    QString datasetName() const;
    data::DatasetParams params() const;   // every parameter of the form, as the registry's strings
    QString datasetJson() const;          // neura::train::DatasetSpec's JSON form
    data::DatasetPtr dataset() const { return dataset_; }  // the last one built; null when it failed
    Shape featureShape() const;           // empty when the dataset could not be built
    QString errorText() const { return error_; }

    // The form's editor of parameter `name` (QSpinBox, QDoubleSpinBox, QCheckBox, QComboBox, or a
    // QLineEdit for strings and paths); null when the current dataset has none.
    QWidget* editor(const QString& name) const { return editors_.value(name); }
    QComboBox* datasetCombo() const { return combo_; }

signals:
    // The user chose another dataset or changed a parameter, and it builds: params hold every parameter
    // as a string (as data::make_dataset takes them).
    void datasetChanged(const QString& name, const QVariantMap& params);
    // A dataset was built (also after setDataset): the preview's data, e.g. for DecisionBoundaryView.
    void datasetBuilt(const neura::data::DatasetPtr& data);

public slots:
    void rebuild();  // builds the dataset from the form now and refreshes the preview
    // An edit still waiting for its debounce is built now (datasetChanged follows at once).
    void commitPendingEdit();

private:
    void buildForm(const data::DatasetInfo& info, const data::DatasetParams& values);
    void edited();
    void showPreview();
    void drawPreview(const data::Dataset& d, const Shape& shape);  // images, a scatter or a series; may throw
    void setParamValue(QWidget* editor, const data::DatasetParam& p, const std::string& value);

    QComboBox* combo_;
    QLabel* description_;
    QWidget* formHost_;
    QFormLayout* form_;
    QLabel* info_;
    QStackedWidget* preview_;
    QCustomPlot* scatter_;
    QLabel* images_;
    QLabel* note_;
    QTimer* debounce_;
    QMap<QString, QWidget*> editors_;
    std::vector<data::DatasetParam> params_;
    data::DatasetPtr dataset_;
    QString error_;
    bool emitOnBuild_ = false;
};

}  // namespace neura::gui

Q_DECLARE_METATYPE(neura::data::DatasetPtr)
