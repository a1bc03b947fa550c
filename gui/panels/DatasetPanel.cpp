#include "panels/DatasetPanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <climits>
#include <cmath>
#include <qcustomplot.h>

#include "neura/data/Sequence.h"
#include "neura/train/Experiment.h"
#include "panels/DecisionBoundaryView.h"
#include "panels/PlotExport.h"
#include "panels/PlotPalette.h"

namespace neura::gui {

namespace {

using Kind = data::DatasetParam::Kind;

bool parseBool(const std::string& v) { return v == "true" || v == "1" || v == "yes" || v == "on"; }

// [1, H, W], [3, H, W], or a flat row whose length is a square of at least 7×7: shown as images.
bool imageShape(const Shape& s, int& channels, int& h, int& w) {
    if (s.size() == 3 && (s[0] == 1 || s[0] == 3) && s[1] > 1 && s[2] > 1) {
        channels = static_cast<int>(s[0]);
        h = static_cast<int>(s[1]);
        w = static_cast<int>(s[2]);
        return true;
    }
    if (s.size() == 1 && s[0] >= 49) {
        const auto side = static_cast<std::int64_t>(std::llround(std::sqrt(static_cast<double>(s[0]))));
        if (side * side == s[0]) {
            channels = 1;
            h = w = static_cast<int>(side);
            return true;
        }
    }
    return false;
}

}  // namespace

DatasetPanel::DatasetPanel(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    combo_ = new QComboBox;
    for (const auto& d : data::dataset_names()) {
        combo_->addItem(QString::fromStdString(d.name), QString::fromStdString(d.name));
        combo_->setItemData(combo_->count() - 1, QString::fromStdString(d.description), Qt::ToolTipRole);
    }
    layout->addWidget(combo_);
    description_ = new QLabel;
    description_->setWordWrap(true);
    layout->addWidget(description_);
    formHost_ = new QWidget;
    form_ = new QFormLayout(formHost_);
    form_->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(formHost_);
    info_ = new QLabel;
    info_->setWordWrap(true);
    info_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(info_);

    preview_ = new QStackedWidget;
    scatter_ = new QCustomPlot;
    scatter_->setMinimumSize(140, 160);  // narrower than the dock: a wider plot would be cut off
    scatter_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    installPlotExportMenu(scatter_, QStringLiteral("dataset"));
    scatter_->legend->setVisible(true);
    scatter_->legend->setFont(QFont(font().family(), 8));
    followPalette(scatter_);  // its legend half see-through: the points behind it stay visible
    images_ = new QLabel;
    images_->setAlignment(Qt::AlignCenter);
    note_ = new QLabel;
    note_->setAlignment(Qt::AlignCenter);
    note_->setWordWrap(true);
    preview_->addWidget(scatter_);
    preview_->addWidget(images_);
    preview_->addWidget(note_);
    layout->addWidget(preview_, 1);

    debounce_ = new QTimer(this);
    debounce_->setSingleShot(true);
    debounce_->setInterval(250);  // typing in a spin box builds once, not per key
    connect(debounce_, &QTimer::timeout, this, &DatasetPanel::rebuild);

    connect(combo_, &QComboBox::currentIndexChanged, this, [this](int) {
        buildForm(data::dataset_info(datasetName().toStdString()), {});
        edited();
    });
    const QSignalBlocker block(combo_);
    combo_->setCurrentIndex(0);
    buildForm(data::dataset_info(datasetName().toStdString()), {});
    rebuild();
}

QString DatasetPanel::datasetName() const { return combo_->currentData().toString(); }

void DatasetPanel::buildForm(const data::DatasetInfo& info, const data::DatasetParams& values) {
    description_->setText(QString::fromStdString(info.description));
    while (form_->rowCount() > 0) form_->removeRow(0);  // deletes the old editors
    editors_.clear();
    params_ = info.params;
    for (const auto& p : info.params) {
        const auto it = values.find(p.name);
        const std::string value = it != values.end() ? it->second : p.default_value;
        QWidget* editor = nullptr;
        QWidget* row = nullptr;
        switch (p.kind) {
            case Kind::Int: {
                auto* s = new QSpinBox;
                s->setRange(static_cast<int>(std::max<double>(p.min.value_or(INT_MIN), INT_MIN)),
                            static_cast<int>(std::min<double>(p.max.value_or(INT_MAX), INT_MAX)));
                connect(s, &QSpinBox::valueChanged, this, &DatasetPanel::edited);
                editor = s;
                break;
            }
            case Kind::Float: {
                auto* s = new QDoubleSpinBox;
                s->setDecimals(4);
                s->setRange(p.min.value_or(-1e9), p.max.value_or(1e9));
                s->setSingleStep(0.05);
                connect(s, &QDoubleSpinBox::valueChanged, this, &DatasetPanel::edited);
                editor = s;
                break;
            }
            case Kind::Bool: {
                auto* c = new QCheckBox;
                connect(c, &QCheckBox::toggled, this, &DatasetPanel::edited);
                editor = c;
                break;
            }
            case Kind::String: {
                if (!p.choices.empty()) {
                    auto* c = new QComboBox;
                    for (const auto& choice : p.choices) c->addItem(QString::fromStdString(choice));
                    connect(c, &QComboBox::currentIndexChanged, this, &DatasetPanel::edited);
                    editor = c;
                } else {
                    auto* e = new QLineEdit;
                    connect(e, &QLineEdit::editingFinished, this, &DatasetPanel::edited);
                    editor = e;
                }
                break;
            }
            case Kind::Path: {
                auto* e = new QLineEdit;
                e->setPlaceholderText(tr("choose a file…"));
                connect(e, &QLineEdit::editingFinished, this, &DatasetPanel::edited);
                auto* browse = new QToolButton;
                browse->setText(QStringLiteral("…"));
                browse->setToolTip(tr("Choose the file"));
                const bool csv = info.name == "csv";
                connect(browse, &QToolButton::clicked, this, [this, e, csv] {
                    const QString filter = csv ? tr("CSV files (*.csv *.tsv *.txt);;All files (*)")
                                               : tr("IDX files (*-ubyte *-ubyte.gz *.idx *.idx.gz);;All files (*)");
                    const QString path = QFileDialog::getOpenFileName(this, tr("Choose the data file"), e->text(), filter);
                    if (path.isEmpty()) return;
                    e->setText(path);
                    edited();
                });
                row = new QWidget;
                auto* h = new QHBoxLayout(row);
                h->setContentsMargins(0, 0, 0, 0);
                h->addWidget(e, 1);
                h->addWidget(browse);
                editor = e;
                break;
            }
        }
        const QSignalBlocker block(editor);
        setParamValue(editor, p, value);
        editor->setToolTip(QString::fromStdString(p.help));
        editor->setObjectName(QString::fromStdString(p.name));
        editors_.insert(QString::fromStdString(p.name), editor);
        auto* label = new QLabel(QString::fromStdString(p.name));
        label->setToolTip(QString::fromStdString(p.help));
        form_->addRow(label, row ? row : editor);
    }
    formHost_->setVisible(!info.params.empty());
}

void DatasetPanel::setParamValue(QWidget* editor, const data::DatasetParam& p, const std::string& value) {
    switch (p.kind) {
        case Kind::Int:
            static_cast<QSpinBox*>(editor)->setValue(value.empty() ? 0 : static_cast<int>(std::stoll(value)));
            break;
        case Kind::Float: static_cast<QDoubleSpinBox*>(editor)->setValue(value.empty() ? 0.0 : std::stod(value)); break;
        case Kind::Bool: static_cast<QCheckBox*>(editor)->setChecked(parseBool(value)); break;
        case Kind::String:
            if (auto* c = qobject_cast<QComboBox*>(editor)) {
                const int i = c->findText(QString::fromStdString(value));
                c->setCurrentIndex(std::max(i, 0));
            } else {
                static_cast<QLineEdit*>(editor)->setText(QString::fromStdString(value));
            }
            break;
        case Kind::Path: static_cast<QLineEdit*>(editor)->setText(QString::fromStdString(value)); break;
    }
}

data::DatasetParams DatasetPanel::params() const {
    data::DatasetParams out;
    for (const auto& p : params_) {
        QWidget* e = editors_.value(QString::fromStdString(p.name));
        if (!e) continue;
        QString v;
        switch (p.kind) {
            case Kind::Int: v = QString::number(static_cast<QSpinBox*>(e)->value()); break;
            case Kind::Float: v = QString::number(static_cast<QDoubleSpinBox*>(e)->value(), 'g', 10); break;
            case Kind::Bool: v = static_cast<QCheckBox*>(e)->isChecked() ? "true" : "false"; break;
            case Kind::String:
                if (auto* c = qobject_cast<QComboBox*>(e))
                    v = c->currentText();
                else
                    v = static_cast<QLineEdit*>(e)->text();
                break;
            case Kind::Path: v = static_cast<QLineEdit*>(e)->text(); break;
        }
        out[p.name] = v.toStdString();
    }
    return out;
}

QString DatasetPanel::datasetJson() const {
    train::DatasetSpec spec;
    spec.name = datasetName().toStdString();
    spec.params = params();
    return QString::fromStdString(spec.to_json());
}

Shape DatasetPanel::featureShape() const { return dataset_ ? dataset_->feature_shape() : Shape{}; }

bool DatasetPanel::setDataset(const QString& name, const data::DatasetParams& values, bool asUserChoice) {
    const int index = combo_->findData(name);
    if (index < 0) return false;
    debounce_->stop();
    {
        const QSignalBlocker block(combo_);
        combo_->setCurrentIndex(index);
    }
    try {
        buildForm(data::dataset_info(name.toStdString()), values);
    } catch (const std::exception&) {  // a value that does not parse: the defaults
        buildForm(data::dataset_info(name.toStdString()), {});
    }
    emitOnBuild_ = asUserChoice;
    rebuild();
    return true;
}

bool DatasetPanel::loadFromProject(const project::Project& project) {
    try {
        const train::DatasetSpec spec = train::DatasetSpec::from_json(project.dataset_json);
        return setDataset(QString::fromStdString(spec.name), spec.params);
    } catch (const std::exception& e) {
        error_ = QString::fromStdString(e.what());
        info_->setText(tr("The project's dataset choice could not be read: %1").arg(error_));
        return false;
    }
}

void DatasetPanel::saveToProject(project::Project& project) const { project.dataset_json = datasetJson().toStdString(); }

void DatasetPanel::edited() {
    emitOnBuild_ = true;
    debounce_->start();
}

void DatasetPanel::commitPendingEdit() {
    if (debounce_->isActive()) rebuild();
}

void DatasetPanel::rebuild() {
    debounce_->stop();
    const bool emitChange = emitOnBuild_;
    emitOnBuild_ = false;
    const std::string name = datasetName().toStdString();
    const data::DatasetParams values = params();
    error_.clear();
    bool needsFile = false;
    for (const auto& p : params_)
        if (p.kind == Kind::Path && values.at(p.name).empty()) needsFile = true;
    try {
        if (needsFile) throw std::runtime_error(tr("choose the file(s) to read").toStdString());
        dataset_ = data::make_dataset(name, values);
    } catch (const std::exception& e) {
        dataset_.reset();
        error_ = QString::fromStdString(e.what());
    }
    showPreview();
    if (!dataset_) return;
    emit datasetBuilt(dataset_);
    if (emitChange) {
        QVariantMap map;
        for (const auto& [k, v] : values) map.insert(QString::fromStdString(k), QString::fromStdString(v));
        emit datasetChanged(QString::fromStdString(name), map);
    }
}

void DatasetPanel::showPreview() {
    if (!dataset_) {
        info_->setText(QStringLiteral("<span style='color:#c0392b'>%1</span>").arg(error_.toHtmlEscaped()));
        note_->setText(tr("No preview"));
        preview_->setCurrentWidget(note_);
        return;
    }
    const data::Dataset& d = *dataset_;
    QString text = tr("%1 samples · features %2 · %3")
                       .arg(d.size())
                       .arg(QString::fromStdString(shape_str(d.feature_shape())))
                       .arg(QString::fromUtf8(data::task_name(d.task())));
    if (d.is_classification()) {
        const auto counts = d.class_counts();
        const auto names = d.class_names();
        QStringList parts;
        for (std::size_t c = 0; c < counts.size() && c < 12; ++c)
            parts << QStringLiteral("%1: %2").arg(QString::fromStdString(c < names.size() ? names[c] : std::to_string(c))).arg(counts[c]);
        if (counts.size() > 12) parts << QStringLiteral("…");
        text += tr(" · %1 classes (%2)").arg(d.num_classes()).arg(parts.join(QStringLiteral(", ")));
    } else {
        text += tr(" · %1 target value(s)").arg(d.target_dim());
    }
    info_->setText(text);

    // The preview reads samples: a dataset from a hostile file (a header that claims sizes its data do
    // not hold) or one too large to draw gets a note, never an allocation it merely claims.
    const Shape shape = d.feature_shape();
    constexpr std::int64_t kMaxPreviewValues = std::int64_t{1} << 22;  // per sample
    if (d.size() == 0 || d.feature_numel() > kMaxPreviewValues) {
        note_->setText(d.size() == 0 ? tr("No samples to preview")
                                     : tr("No preview for samples of shape %1 (too large to draw)")
                                           .arg(QString::fromStdString(shape_str(shape))));
        preview_->setCurrentWidget(note_);
        return;
    }
    try {
        drawPreview(d, shape);
    } catch (const std::exception& e) {
        note_->setText(tr("No preview: %1").arg(QString::fromUtf8(e.what())));
        preview_->setCurrentWidget(note_);
    }
}

void DatasetPanel::drawPreview(const data::Dataset& d, const Shape& shape) {
    if (d.token_features() && d.is_classification() && shape.size() == 1) {
        // Token sequences (text, token tasks): a few samples as their tokens, then what they should give.
        const auto names = d.class_names();
        const bool chars = dynamic_cast<const data::TextDataset*>(&d) != nullptr;  // show text as text
        auto spell = [&](const std::vector<std::int64_t>& tokens) {
            QStringList parts;
            for (std::int64_t t : tokens)
                parts << (t >= 0 && static_cast<std::size_t>(t) < names.size()
                              ? QString::fromStdString(names[static_cast<std::size_t>(t)])
                              : QStringLiteral("·"));  // padding
            return parts.join(chars ? QString() : QStringLiteral(" ")).toHtmlEscaped();
        };
        std::vector<float> f(static_cast<std::size_t>(shape[0]));
        std::vector<std::int64_t> labels(static_cast<std::size_t>(std::max<std::int64_t>(d.label_steps(), 1)));
        QString rows;
        const std::int64_t count = std::min<std::int64_t>(d.size(), 8);
        for (std::int64_t n = 0; n < count; ++n) {
            const std::int64_t index = n * d.size() / count;
            d.read_features(index, f.data());
            d.read_labels(index, labels.data());
            std::vector<std::int64_t> tokens(f.begin(), f.end());
            const QString in = spell(tokens), out = spell(labels);
            rows += QStringLiteral("%1 → <b>%2</b>\n").arg(in, out);
        }
        note_->setText(QStringLiteral("<pre style='text-align:left'>%1</pre>").arg(rows));
        preview_->setCurrentWidget(note_);
        return;
    }
    int channels = 0, h = 0, w = 0;
    if (imageShape(shape, channels, h, w)) {
        // Up to 4×6 samples (narrow enough for the dock) spread over the set, each scaled up with nearest-neighbour pixels.
        const int cols = 4, rows = 6, cell = std::max(2, 64 / std::max(h, w)) * std::max(h, w), pad = 4;
        QImage grid(cols * (cell + pad), rows * (cell + pad + 12), QImage::Format_RGB32);
        grid.fill(palette().color(QPalette::Base));
        QPainter p(&grid);
        const std::int64_t count = std::min<std::int64_t>(cols * rows, d.size());
        std::vector<float> f(static_cast<std::size_t>(d.feature_numel()));
        for (std::int64_t n = 0; n < count; ++n) {
            const std::int64_t index = n * d.size() / std::max<std::int64_t>(count, 1);
            d.read_features(index, f.data());
            const auto extremes = std::minmax_element(f.begin(), f.end());
            const auto lo = extremes.first, hi = extremes.second;  // lambdas capture these (clang 14: no bindings)
            const float range = std::max(1e-6f, *hi - *lo);
            QImage img(w, h, QImage::Format_RGB32);
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) {
                    auto px = [&](int c) {
                        const float v = f[static_cast<std::size_t>((c * h + y) * w + x)];
                        return static_cast<int>(255.0f * (v - *lo) / range);
                    };
                    const int r = px(0), g = channels == 3 ? px(1) : r, b = channels == 3 ? px(2) : r;
                    img.setPixel(x, y, channels == 3 ? qRgb(r, g, b) : qRgb(255 - r, 255 - g, 255 - b));
                }
            const int cx = static_cast<int>(n % cols) * (cell + pad), cy = static_cast<int>(n / cols) * (cell + pad + 12);
            p.drawImage(QRect(cx, cy, cell, cell), img);
            if (d.is_classification()) {
                p.setPen(palette().color(QPalette::Text));
                p.drawText(QRect(cx, cy + cell, cell, 12), Qt::AlignCenter, QString::number(d.label(index)));
            }
        }
        p.end();
        images_->setPixmap(QPixmap::fromImage(grid));
        preview_->setCurrentWidget(images_);
        return;
    }
    if (shape.size() == 1 && shape[0] >= 1 && (shape[0] >= 2 || !d.is_classification())) {
        scatter_->clearGraphs();
        const bool twoD = shape[0] >= 2;
        std::vector<float> f(static_cast<std::size_t>(shape[0]));
        float target = 0.0f;
        const int classes = d.is_classification() ? static_cast<int>(d.num_classes()) : 1;
        std::vector<QVector<double>> xs(static_cast<std::size_t>(classes)), ys(xs.size());
        const std::int64_t n = std::min<std::int64_t>(d.size(), 20000);
        for (std::int64_t i = 0; i < n; ++i) {
            const std::int64_t index = i * d.size() / n;
            d.read_features(index, f.data());
            int c = 0;
            if (d.is_classification())
                c = static_cast<int>(d.label(index));
            else
                d.read_target(index, &target);
            xs[static_cast<std::size_t>(c)].push_back(f[0]);
            ys[static_cast<std::size_t>(c)].push_back(twoD ? f[1] : target);
        }
        const auto names = d.class_names();
        for (int c = 0; c < classes; ++c) {
            QCPGraph* g = scatter_->addGraph();
            g->setLineStyle(QCPGraph::lsNone);
            const QColor color = d.is_classification() ? classColor(c) : QColor(0x08, 0x77, 0xbd);
            g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, color, color, n > 3000 ? 3 : 5));
            g->setData(xs[static_cast<std::size_t>(c)], ys[static_cast<std::size_t>(c)]);
            g->setName(d.is_classification() && static_cast<std::size_t>(c) < names.size()
                           ? QString::fromStdString(names[static_cast<std::size_t>(c)])
                           : tr("samples"));
        }
        scatter_->legend->setVisible(d.is_classification() && classes <= 12);
        scatter_->xAxis->setLabel(twoD ? tr("feature 0") : tr("x"));
        scatter_->yAxis->setLabel(twoD ? tr("feature 1") : tr("target"));
        if (twoD && shape[0] > 2)
            scatter_->xAxis->setLabel(tr("feature 0 (first two of %1 features)").arg(shape[0]));
        scatter_->rescaleAxes();
        scatter_->xAxis->scaleRange(1.1);  // a margin: points on the edge are not cut in half
        scatter_->yAxis->scaleRange(1.1);
        scatter_->replot();
        preview_->setCurrentWidget(scatter_);
        return;
    }
    if (!d.is_classification() && shape.size() == 2 && shape[0] >= 1 && shape[1] >= 1) {
        // Windows of a time series (sine-forecast, csv-series): the first sample's input column that
        // is the first target (else the first input column) over its steps, then the first target
        // column over the steps it forecasts.
        scatter_->clearGraphs();
        const auto* series = dynamic_cast<const data::CsvSeriesDataset*>(&d);
        const std::int64_t steps = shape[0], columns = shape[1];
        const std::int64_t targets = series ? static_cast<std::int64_t>(series->target_names().size()) : 1;
        std::int64_t column = 0;
        if (series) {
            const auto& names = series->feature_names();
            const auto it = std::find(names.begin(), names.end(), series->target_names().front());
            if (it != names.end()) column = it - names.begin();
        }
        const std::int64_t horizon = d.target_dim() / std::max<std::int64_t>(targets, 1);
        std::vector<float> f(static_cast<std::size_t>(d.feature_numel()));
        std::vector<float> y(static_cast<std::size_t>(d.target_dim()));
        d.read_features(0, f.data());
        d.read_target(0, y.data());
        QVector<double> ts, xs, th, yh;
        for (std::int64_t t = 0; t < steps; ++t) {
            ts << static_cast<double>(t);
            xs << f[static_cast<std::size_t>(t * columns + column)];
        }
        for (std::int64_t h = 0; h < horizon; ++h) {
            th << static_cast<double>(steps + h);
            yh << y[static_cast<std::size_t>(h * targets)];
        }
        const QColor in(0x08, 0x77, 0xbd), out(0xe6, 0x7e, 0x22);
        QCPGraph* input = scatter_->addGraph();
        input->setPen(QPen(in, 1.5));
        input->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, in, in, steps > 100 ? 0 : 4));
        input->setData(ts, xs);
        const std::string& inputName = series ? series->feature_names()[static_cast<std::size_t>(column)] : "";
        input->setName(series ? tr("input: %1").arg(QString::fromStdString(inputName)) : tr("input"));
        QCPGraph* target = scatter_->addGraph();
        target->setLineStyle(QCPGraph::lsNone);
        target->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, out, out, 6));
        target->setData(th, yh);
        target->setName(series ? tr("target: %1").arg(QString::fromStdString(series->target_names().front()))
                               : tr("target"));
        scatter_->legend->setVisible(true);
        scatter_->xAxis->setLabel(tr("time step (sample 0 of %1)").arg(d.size()));
        scatter_->yAxis->setLabel(tr("value"));
        scatter_->rescaleAxes();
        scatter_->xAxis->scaleRange(1.1);
        scatter_->yAxis->scaleRange(1.1);
        scatter_->replot();
        preview_->setCurrentWidget(scatter_);
        return;
    }
    note_->setText(tr("No preview for samples of shape %1").arg(QString::fromStdString(shape_str(shape))));
    preview_->setCurrentWidget(note_);
}

}  // namespace neura::gui
