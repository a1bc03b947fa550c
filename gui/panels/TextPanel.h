#pragma once
// TextPanel: text generation with the project's character model (neura::train::generate_text, the
// function `neura generate` calls): prompt, temperature, length and seed; Generate runs on a worker
// thread and the output grows as characters come; Stop ends it. It works on a copy of the project
// taken when Generate is pressed (the document's model, the trained weights). It is disabled, with a
// sentence, while the project's dataset is not `text`.
#include <QString>
#include <QWidget>
#include <functional>

#include "neura/project/Project.h"
#include "neura/train/Generate.h"
#include "session/BackgroundTask.h"

class QDoubleSpinBox;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace neura::gui {

class TextPanel : public QWidget {
    Q_OBJECT
public:
    explicit TextPanel(QWidget* parent = nullptr);
    ~TextPanel() override;  // stops a running generation; waits for it a little, then abandons it

    // Where Generate takes the project from (the main window's current project).
    void setProjectSource(std::function<project::Project()> source);

    train::GenerateOptions options() const;
    void setOptions(const train::GenerateOptions& options);

    // Whether the project's dataset is `text` (as of the last refresh()); otherwise the panel is
    // disabled and availability() says why.
    bool isAvailable() const { return available_; }
    QString availability() const;
    bool isRunning() const { return running_; }
    // Stops a running generation and waits up to `ms` for it; one still running then is abandoned.
    // True when none is left running.
    bool stopAndWait(int ms);
    QString outputText() const;  // the prompt and what was generated
    QString statusText() const;

signals:
    void started();
    void finished(const QString& text);   // also after a stop, with what was generated until then
    void failed(const QString& message);  // in words: the project cannot generate (dataset, model, prompt)

public slots:
    // Reads the project's dataset again: enables the panel for `text`, disables it otherwise.
    void refresh();
    void generate();
    void stop();

private:
    void append(const QString& chunk);
    void finishRun(const QString& error, bool stopped, bool trained, double seconds);
    void updateEnabled();

    std::function<project::Project()> source_;
    bool available_ = false;
    QString unavailableReason_;
    BackgroundTask task_{this};
    bool running_ = false;
    qint64 produced_ = 0;  // characters generated in the current run

    QPlainTextEdit* prompt_;
    QDoubleSpinBox* temperature_;
    QSpinBox* topK_;
    QDoubleSpinBox* topP_;
    QSpinBox* length_;
    QSpinBox* seed_;
    QPushButton* generate_;
    QPushButton* stop_;
    QProgressBar* progress_;
    QPlainTextEdit* output_;
    QLabel* status_;
};

}  // namespace neura::gui
