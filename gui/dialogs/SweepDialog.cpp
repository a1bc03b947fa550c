#include "dialogs/SweepDialog.h"

#include <algorithm>

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableWidget>
#include <QTextEdit>
#include <QVBoxLayout>
#include <nlohmann/json.hpp>

#include "app/MainWindow.h"
#include "neura/core/JsonText.h"
#include "neura/train/Sweep.h"
#include "panels/DatasetPanel.h"
#include "panels/TrainingPanel.h"
#include "session/SweepSession.h"

namespace neura::gui {

namespace {
// "lr = 0.1, fc1.out_features = 8" from {"lr": 0.1, "fc1.out_features": 8}; the text itself when it
// is not an object.
QString settingsText(const std::string& json_text) {
    const auto j = try_parse_json<nlohmann::json>(json_text);
    if (!j || !j->is_object()) return QString::fromStdString(json_text);
    QStringList parts;
    for (const auto& [k, v] : j->items())
        parts << QStringLiteral("%1 = %2").arg(QString::fromStdString(k),
                                                QString::fromStdString(v.is_string() ? v.get<std::string>() : v.dump()));
    return parts.join(QStringLiteral(", "));
}
}  // namespace

SweepDialog::SweepDialog(MainWindow* window) : QDialog(window), window_(window), session_(window->sweepSession()) {
    setObjectName("SweepDialog");
    setWindowTitle(tr("Sweep"));
    setModal(false);

    auto* intro = new QLabel(tr("Train one run per combination of the values below and add each run to the project's "
                                "history. The project's model, settings and weights stay as they are."),
                             this);
    intro->setWordWrap(true);

    table_ = new QTableWidget(0, 2, this);
    table_->setHorizontalHeaderLabels({tr("Setting"), tr("Values (comma-separated)")});
    table_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Interactive);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setColumnWidth(0, 200);
    table_->verticalHeader()->setVisible(false);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    addRow_ = new QPushButton(tr("Add Setting"), this);
    removeRow_ = new QPushButton(tr("Remove Setting"), this);
    connect(addRow_, &QPushButton::clicked, this, [this] { addRow(); });
    connect(removeRow_, &QPushButton::clicked, this, [this] {
        const int row = table_->currentRow() >= 0 ? table_->currentRow() : table_->rowCount() - 1;
        if (row >= 0) table_->removeRow(row);
    });
    auto* rowButtons = new QHBoxLayout;
    rowButtons->addWidget(addRow_);
    rowButtons->addWidget(removeRow_);
    rowButtons->addStretch();

    random_ = new QCheckBox(tr("Random combinations:"), this);
    random_->setToolTip(tr("Run this many distinct combinations of the grid, drawn with the seed, instead of all"));
    randomCount_ = new QSpinBox(this);
    randomCount_->setRange(1, 100000);
    randomCount_->setValue(4);
    seed_ = new QSpinBox(this);
    seed_->setRange(0, 1'000'000);
    seed_->setPrefix(tr("seed "));
    auto* randomRow = new QHBoxLayout;
    randomRow->addWidget(random_);
    randomRow->addWidget(randomCount_);
    randomRow->addWidget(seed_);
    randomRow->addStretch();
    epochs_ = new QSpinBox(this);
    epochs_->setRange(1, 1'000'000);
    epochs_->setValue(5);
    epochs_->setToolTip(tr("Epochs of every run (a swept \"epochs\" setting wins)"));
    auto* form = new QFormLayout;
    form->addRow(tr("Runs"), randomRow);
    form->addRow(tr("Epochs per run"), epochs_);

    progress_ = new QProgressBar(this);
    progress_->setRange(0, 1);
    progress_->setValue(0);
    status_ = new QLabel(tr("Add the settings to vary, then Start."), this);
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    log_ = new QTextEdit(this);
    log_->setReadOnly(true);
    log_->setMinimumHeight(90);

    auto* buttons = new QDialogButtonBox(this);
    start_ = buttons->addButton(tr("Start"), QDialogButtonBox::AcceptRole);
    stop_ = buttons->addButton(tr("Stop"), QDialogButtonBox::ActionRole);
    QPushButton* close = buttons->addButton(QDialogButtonBox::Close);
    // Accept would close the dialog: Start only starts.
    disconnect(buttons, &QDialogButtonBox::accepted, this, nullptr);
    connect(start_, &QPushButton::clicked, this, &SweepDialog::start);
    connect(stop_, &QPushButton::clicked, this, &SweepDialog::stop);
    connect(close, &QPushButton::clicked, this, &QDialog::hide);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(table_, 1);
    layout->addLayout(rowButtons);
    layout->addLayout(form);
    layout->addWidget(progress_);
    layout->addWidget(status_);
    layout->addWidget(log_, 1);
    layout->addWidget(buttons);
    resize(560, 520);

    connect(session_, &SweepSession::runStarted, this, [this](int index, int runs, const QString& settings) {
        progress_->setRange(0, runs);
        progress_->setValue(index);
        const QString text = tr("Run %1 of %2: %3").arg(index + 1).arg(runs).arg(settingsText(settings.toStdString()));
        status_->setText(text);
        window_->statusBar()->showMessage(tr("Sweep: %1").arg(text), 10000);
    });
    connect(session_, &SweepSession::epochFinished, this, [this](int index, qint64 epoch, qint64 epochs, double loss) {
        const QString text = tr("Run %1 of %2 · epoch %3 of %4 · loss %5")
                                 .arg(index + 1)
                                 .arg(session_->runCount())
                                 .arg(epoch)
                                 .arg(epochs)
                                 .arg(loss, 0, 'g', 4);
        status_->setText(text);
        window_->statusBar()->showMessage(tr("Sweep: %1").arg(text), 10000);
    });
    connect(session_, &SweepSession::runFinished, this, [this](int index, const project::RunRecord& record) {
        ++done_;
        progress_->setValue(index + 1);
        QString line = tr("Run %1: %2 → %3").arg(index + 1).arg(settingsText(record.settings_json),
                                                               QString::fromStdString(record.status));
        if (const auto f = try_parse_json<nlohmann::json>(record.final_metrics_json); f && f->is_object()) {
            if (f->contains("val_accuracy")) line += tr(", validation accuracy %1").arg((*f)["val_accuracy"].get<double>(), 0, 'f', 3);
            else if (f->contains("val_loss")) line += tr(", validation loss %1").arg((*f)["val_loss"].get<double>(), 0, 'g', 4);
            else if (f->contains("train_loss")) line += tr(", loss %1").arg((*f)["train_loss"].get<double>(), 0, 'g', 4);
            if (record.status == project::run_status::kFailed && f->contains("message"))
                line += QStringLiteral(": ") + QString::fromStdString((*f)["message"].get<std::string>());
        }
        log_->append(line);
    });
    connect(session_, &SweepSession::finished, this, [this](int runs, int failed, bool stopped) {
        QString text = stopped ? tr("Sweep stopped after %1 runs").arg(runs) : tr("Sweep done: %1 runs").arg(runs);
        if (failed > 0) text += tr(" (%1 failed)").arg(failed);
        text += tr(", added to the project's runs.");
        status_->setText(text);
        window_->statusBar()->showMessage(text, 10000);
        updateButtons();
    });
    connect(session_, &SweepSession::failed, this, [this](const QString& message) {
        showError(tr("The sweep failed: %1").arg(message));
        updateButtons();
    });

    addRow(QStringLiteral("lr"), QStringLiteral("0.1, 0.01, 0.001"));
    refreshKeys();
    updateButtons();
}

SweepDialog* SweepDialog::showFor(MainWindow* window) {
    auto* dialog = window->findChild<SweepDialog*>(QStringLiteral("SweepDialog"), Qt::FindDirectChildrenOnly);
    if (!dialog) {
        dialog = new SweepDialog(window);
        dialog->setEpochs(static_cast<int>(std::min<std::int64_t>(window->trainingPanel()->config().epochs, 1'000'000)));
    }
    dialog->refreshKeys();
    dialog->show();
    dialog->raise();
    dialog->activateWindow();
    return dialog;
}

int SweepDialog::rowCount() const { return table_->rowCount(); }

void SweepDialog::setRowCount(int rows) {
    while (table_->rowCount() > rows) table_->removeRow(table_->rowCount() - 1);
    while (table_->rowCount() < rows) addRow();
}

void SweepDialog::setRow(int row, const QString& key, const QString& values) {
    if (row >= table_->rowCount()) setRowCount(row + 1);
    keyBox(row)->setCurrentText(key);
    valuesEdit(row)->setText(values);
}

void SweepDialog::setRandom(int count, int seed) {
    random_->setChecked(count > 0);
    if (count > 0) randomCount_->setValue(count);
    seed_->setValue(seed);
}

void SweepDialog::setEpochs(int epochs) { epochs_->setValue(epochs); }

QStringList SweepDialog::keyChoices() const { return keys_; }

void SweepDialog::addRow(const QString& key, const QString& values) {
    const int row = table_->rowCount();
    table_->insertRow(row);
    auto* box = new QComboBox(table_);
    box->setEditable(true);
    box->addItems(keys_);
    box->setCurrentText(key);
    box->setToolTip(tr("A training setting (lr, batch_size, optimizer, …) or NODE.ATTRIBUTE of a layer"));
    auto* edit = new QLineEdit(values, table_);
    edit->setPlaceholderText(tr("e.g. 0.1, 0.01 or 32, 64; int lists as [3,3]"));
    table_->setCellWidget(row, 0, box);
    table_->setCellWidget(row, 1, edit);
}

QComboBox* SweepDialog::keyBox(int row) const { return qobject_cast<QComboBox*>(table_->cellWidget(row, 0)); }
QLineEdit* SweepDialog::valuesEdit(int row) const { return qobject_cast<QLineEdit*>(table_->cellWidget(row, 1)); }

void SweepDialog::refreshKeys() {
    keys_.clear();
    for (const std::string& k : train::sweep_keys(window_->currentProject())) keys_ << QString::fromStdString(k);
    for (int r = 0; r < table_->rowCount(); ++r) {
        QComboBox* box = keyBox(r);
        const QString text = box->currentText();
        box->clear();
        box->addItems(keys_);
        box->setCurrentText(text);
    }
}

void SweepDialog::updateButtons() {
    const bool running = session_->isRunning();
    start_->setEnabled(!running);
    stop_->setEnabled(running);
}

void SweepDialog::showError(const QString& message) {
    status_->setText(QStringLiteral("<span style='color:#c0392b'>%1</span>").arg(message.toHtmlEscaped()));
}

bool SweepDialog::start() {
    if (session_->isRunning()) {
        showError(tr("A sweep is going on: stop it first."));
        return false;
    }
    train::SweepOptions options;
    for (int r = 0; r < table_->rowCount(); ++r) {
        const QString key = keyBox(r)->currentText().trimmed();
        const QString values = valuesEdit(r)->text().trimmed();
        if (key.isEmpty() && values.isEmpty()) continue;
        if (key.isEmpty()) {
            showError(tr("Row %1: choose the setting to vary.").arg(r + 1));
            return false;
        }
        if (values.isEmpty()) {
            showError(tr("Row %1: give the values of %2, separated by commas.").arg(r + 1).arg(key));
            return false;
        }
        try {
            options.grid.push_back(train::parse_sweep_axis((key + QLatin1Char('=') + values).toStdString()));
        } catch (const std::exception& e) {
            showError(QString::fromStdString(e.what()));
            return false;
        }
    }
    if (options.grid.empty()) {
        showError(tr("Add a setting to vary and its values."));
        return false;
    }
    options.random = random_->isChecked() ? randomCount_->value() : 0;
    options.seed = static_cast<std::uint64_t>(seed_->value());
    options.epochs = epochs_->value();
    // The project as the window holds it now: the model as drawn, the training setup, the dataset.
    window_->datasetPanel()->commitPendingEdit();
    project::Project project = window_->currentProject();
    window_->trainingPanel()->saveToProject(project);
    window_->datasetPanel()->saveToProject(project);
    QString error;
    if (!session_->start(project, window_->trainingPanel()->config(), options, &error)) {
        showError(error);
        return false;
    }
    done_ = 0;
    log_->clear();
    progress_->setRange(0, session_->runCount());
    progress_->setValue(0);
    status_->setText(tr("Starting %1 runs…").arg(session_->runCount()));
    updateButtons();
    return true;
}

void SweepDialog::stop() {
    if (!session_->isRunning()) return;
    session_->stop();
    status_->setText(tr("Stopping after the batch in flight…"));
}

}  // namespace neura::gui
