#include "panels/TextPanel.h"

#include <QDoubleSpinBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QShortcut>
#include <QSpinBox>
#include <QTextCharFormat>
#include <QTextCursor>
#include <QVBoxLayout>
#include <chrono>
#include <limits>

#include "neura/train/Experiment.h"

namespace neura::gui {

namespace {

// How often the worker hands the characters it made to the panel.
constexpr auto kPostInterval = std::chrono::milliseconds(50);

}  // namespace

TextPanel::TextPanel(QWidget* parent) : QWidget(parent) {
    const train::GenerateOptions defaults;
    prompt_ = new QPlainTextEdit;
    prompt_->setPlaceholderText(tr("The text to continue (may be empty)"));
    prompt_->setTabChangesFocus(true);
    prompt_->setFixedHeight(prompt_->fontMetrics().lineSpacing() * 3 + 12);
    temperature_ = new QDoubleSpinBox;
    temperature_->setRange(0.0, 10.0);
    temperature_->setDecimals(2);
    temperature_->setSingleStep(0.1);
    temperature_->setValue(defaults.temperature);
    temperature_->setSpecialValueText(tr("0 (greedy)"));
    temperature_->setToolTip(tr("Characters are drawn from softmax(logits / temperature): below 1 the likely ones "
                                "win more often, above 1 the choice gets more even; 0 takes the most likely "
                                "character every time"));
    topK_ = new QSpinBox;
    topK_->setRange(0, 100000);
    topK_->setValue(static_cast<int>(defaults.top_k));
    topK_->setSpecialValueText(tr("all"));
    topK_->setToolTip(tr("Draw only among the k most likely characters; \"all\" keeps every character"));
    topP_ = new QDoubleSpinBox;
    topP_->setRange(0.01, 1.0);
    topP_->setDecimals(2);
    topP_->setSingleStep(0.05);
    topP_->setValue(defaults.top_p);
    topP_->setToolTip(tr("Nucleus sampling: draw only among the fewest most likely characters whose probabilities "
                         "add up to at least p; 1 keeps every character"));
    length_ = new QSpinBox;
    length_->setRange(1, 100000);
    length_->setValue(static_cast<int>(defaults.length));
    length_->setSuffix(tr(" characters"));
    seed_ = new QSpinBox;
    seed_->setRange(0, std::numeric_limits<int>::max());
    seed_->setValue(static_cast<int>(defaults.seed));
    seed_->setToolTip(tr("The same seed, prompt, temperature and weights give the same text"));

    auto* form = new QFormLayout;
    form->addRow(tr("Prompt"), prompt_);
    form->addRow(tr("Temperature"), temperature_);
    form->addRow(tr("Top-k"), topK_);
    form->addRow(tr("Top-p"), topP_);
    form->addRow(tr("Length"), length_);
    form->addRow(tr("Seed"), seed_);

    generate_ = new QPushButton(tr("Generate"));
    stop_ = new QPushButton(tr("Stop"));
    connect(generate_, &QPushButton::clicked, this, &TextPanel::generate);
    connect(stop_, &QPushButton::clicked, this, &TextPanel::stop);
    generate_->setToolTip(tr("Continue the prompt with the project's trained model (Ctrl+Return)"));
    auto* shortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), this);
    shortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(shortcut, &QShortcut::activated, this, &TextPanel::generate);
    progress_ = new QProgressBar;
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setFormat(tr("%v / %m"));
    progress_->setTextVisible(false);  // until a run gives it a length
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(generate_);
    buttons->addWidget(stop_);
    buttons->addWidget(progress_, 1);

    output_ = new QPlainTextEdit;
    output_->setReadOnly(true);
    output_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    output_->setPlaceholderText(tr("The prompt (bold) and what the model writes after it appear here."));

    status_ = new QLabel;
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(buttons);
    layout->addWidget(output_, 1);
    layout->addWidget(status_);
    refresh();
}

TextPanel::~TextPanel() = default;  // task_ stops, waits (bounded) and abandons

void TextPanel::setProjectSource(std::function<project::Project()> source) {
    source_ = std::move(source);
    refresh();
}

train::GenerateOptions TextPanel::options() const {
    train::GenerateOptions o;
    o.prompt = prompt_->toPlainText().toStdString();
    o.temperature = temperature_->value();
    o.top_k = topK_->value();
    o.top_p = topP_->value();
    o.length = length_->value();
    o.seed = static_cast<std::uint64_t>(seed_->value());
    return o;
}

void TextPanel::setOptions(const train::GenerateOptions& o) {
    prompt_->setPlainText(QString::fromStdString(o.prompt));
    temperature_->setValue(o.temperature);
    topK_->setValue(static_cast<int>(o.top_k));
    topP_->setValue(o.top_p);
    length_->setValue(static_cast<int>(o.length));
    seed_->setValue(static_cast<int>(o.seed));
}

QString TextPanel::availability() const { return available_ ? QString() : unavailableReason_; }
QString TextPanel::outputText() const { return output_->toPlainText(); }
QString TextPanel::statusText() const { return status_->text(); }

void TextPanel::refresh() {
    available_ = false;
    if (!source_) {
        unavailableReason_ = tr("No project is open.");
    } else {
        const project::Project p = source_();
        QString dataset;
        try {
            if (!p.dataset_json.empty()) dataset = QString::fromStdString(train::DatasetSpec::from_json(p.dataset_json).name);
        } catch (const std::exception&) {
            dataset.clear();
        }
        available_ = dataset == QLatin1String("text");
        if (dataset.isEmpty())
            unavailableReason_ = tr("Text generation needs a character model trained on the 'text' dataset; this "
                                    "project names no dataset.");
        else
            unavailableReason_ = tr("Text generation needs a character model trained on the 'text' dataset; this "
                                    "project's dataset is '%1'. Choose 'text' in the Dataset dock and build Input → "
                                    "Embedding → LSTM → LastStep → Linear (one output per character).")
                                     .arg(dataset);
    }
    if (!running_) status_->setText(available_ ? tr("Press Generate to continue the prompt.") : unavailableReason_);
    updateEnabled();
}

void TextPanel::stop() {
    if (!running_) return;
    task_.requestStop();
    status_->setText(tr("Stopping…"));
}

bool TextPanel::stopAndWait(int ms) {
    if (!running_) return true;
    task_.requestStop();
    if (task_.wait(ms)) return true;  // its last post is queued: finishRun() follows
    task_.abandon();
    running_ = false;
    status_->setText(tr("The generation did not stop in time and was abandoned."));
    updateEnabled();
    return false;
}

void TextPanel::generate() {
    if (running_ || !available_ || !source_) return;
    task_.finish();  // a previous run's thread, if its last post was not taken yet
    const train::GenerateOptions o = options();
    running_ = true;
    produced_ = 0;
    output_->clear();
    QTextCursor cursor(output_->document());
    QTextCharFormat bold;
    bold.setFontWeight(QFont::Bold);
    cursor.insertText(QString::fromStdString(o.prompt), bold);
    progress_->setRange(0, static_cast<int>(o.length));
    progress_->setValue(0);
    progress_->setTextVisible(true);
    status_->setText(tr("Generating…"));
    updateEnabled();
    emit started();

    // The job owns its copy of the project and the options; it reaches the panel only through
    // job.post(), which does nothing once the panel let go of it.
    task_.start([this, project = source_(), o](BackgroundTask::Job& job) {
        QString error;
        bool trained = false;
        const auto t0 = std::chrono::steady_clock::now();
        try {
            train::TextModel m = train::load_text_model(project);
            trained = m.model.trained;
            std::string pending;
            auto last = std::chrono::steady_clock::now();
            train::GenerateCallbacks cb;
            cb.on_char = [&](const std::string& c) {
                pending += c;
                const auto now = std::chrono::steady_clock::now();
                if (now - last < kPostInterval) return;
                last = now;
                job.post([this, chunk = QString::fromStdString(pending)] { append(chunk); });
                pending.clear();
            };
            train::generate_text(m, o, cb, &job.stop());
            if (!pending.empty()) job.post([this, chunk = QString::fromStdString(pending)] { append(chunk); });
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
        } catch (...) {
            error = QStringLiteral("text generation failed with an unknown error");
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const bool stopped = job.stop().stop_requested();
        job.post([this, error, stopped, trained, seconds] { finishRun(error, stopped, trained, seconds); });
    });
}

void TextPanel::append(const QString& chunk) {
    QTextCursor cursor(output_->document());
    cursor.movePosition(QTextCursor::End);
    cursor.insertText(chunk, QTextCharFormat());
    output_->ensureCursorVisible();
    produced_ += chunk.toUcs4().size();
    progress_->setValue(static_cast<int>(std::min<qint64>(produced_, progress_->maximum())));
}

void TextPanel::finishRun(const QString& error, bool stopped, bool trained, double seconds) {
    task_.finish();  // it posted this as its last act
    running_ = false;
    updateEnabled();
    if (!error.isEmpty()) {
        status_->setText(tr("Could not generate: %1").arg(error));
        emit failed(error);
        return;
    }
    QString text = stopped ? tr("Stopped after %1 characters (%2 s).") : tr("%1 characters in %2 s.");
    text = text.arg(produced_).arg(seconds, 0, 'f', 2);
    if (!trained) text += tr(" The project has not been trained: these come from its initial weights.");
    status_->setText(text);
    emit finished(outputText());
}

void TextPanel::updateEnabled() {
    generate_->setEnabled(available_ && !running_);
    stop_->setEnabled(running_);
    for (QWidget* w : {static_cast<QWidget*>(prompt_), static_cast<QWidget*>(temperature_), static_cast<QWidget*>(topK_),
                       static_cast<QWidget*>(topP_), static_cast<QWidget*>(length_), static_cast<QWidget*>(seed_)})
        w->setEnabled(available_ && !running_);
}

}  // namespace neura::gui
