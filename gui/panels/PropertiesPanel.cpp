#include "panels/PropertiesPanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>
#include <climits>

#include "document/GraphDocument.h"
#include "editor/NodeItem.h"
#include "neura/graph/LayerRegistry.h"

namespace neura::gui {

namespace {
QString listText(const std::vector<std::int64_t>& v) {
    QStringList parts;
    for (auto x : v) parts << QString::number(x);
    return parts.join(QStringLiteral(", "));
}

std::optional<std::vector<std::int64_t>> parseList(const QString& text) {
    QString t = text.trimmed();
    if (t.startsWith('[') && t.endsWith(']')) t = t.mid(1, t.size() - 2);
    std::vector<std::int64_t> out;
    if (t.trimmed().isEmpty()) return out;
    for (const QString& part : t.split(QRegularExpression(QStringLiteral("[,\\s]+")), Qt::SkipEmptyParts)) {
        bool ok = false;
        const qlonglong v = part.toLongLong(&ok);
        if (!ok) return std::nullopt;
        out.push_back(v);
    }
    return out;
}
}  // namespace

PropertiesPanel::PropertiesPanel(GraphDocument* doc, QWidget* parent)
    : QDockWidget(tr("Properties"), parent), doc_(doc) {
    setObjectName("PropertiesPanel");
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto* holder = new QWidget(scroll);
    auto* v = new QVBoxLayout(holder);
    v->setContentsMargins(6, 6, 6, 6);
    emptyLabel_ = new QLabel(tr("Select a node to edit its settings."), holder);
    emptyLabel_->setWordWrap(true);
    emptyLabel_->setEnabled(false);
    v->addWidget(emptyLabel_);
    form_ = new QWidget(holder);
    v->addWidget(form_);
    v->addStretch(1);
    scroll->setWidget(holder);
    setWidget(scroll);

    connect(doc_, &GraphDocument::documentReset, this, [this] { setNode(graph::NodeId::Invalid); });
    connect(doc_, &GraphDocument::nodeRemoved, this, [this](graph::NodeId id) {
        if (id == node_) setNode(graph::NodeId::Invalid);
    });
    connect(doc_, &GraphDocument::attributeChanged, this, [this](graph::NodeId id) {
        if (id == node_) updateValues();
    });
    connect(doc_, &GraphDocument::nodeRenamed, this, [this](graph::NodeId id) {
        if (id == node_) updateValues();
    });
    connect(doc_, &GraphDocument::analysisChanged, this, &PropertiesPanel::updateInfo);
    connect(doc_, &GraphDocument::readOnlyChanged, this, [this](bool ro) { form_->setEnabled(!ro); });
    rebuild();
}

QWidget* PropertiesPanel::editorFor(const QString& attribute) const {
    auto it = editors_.find(attribute.toStdString());
    return it == editors_.end() ? nullptr : it->second;
}

void PropertiesPanel::setNode(graph::NodeId id) {
    if (id == node_ && form_->layout()) return;
    node_ = id;
    rebuild();
}

void PropertiesPanel::rebuild() {
    editors_.clear();
    nameEdit_ = nullptr;
    shapeLabel_ = paramsLabel_ = macsLabel_ = memoryLabel_ = issuesLabel_ = nullptr;
    delete form_->layout();
    for (QWidget* w : form_->findChildren<QWidget*>(QString(), Qt::FindDirectChildrenOnly)) {
        w->blockSignals(true);  // a focused editor would report editingFinished while dying
        delete w;
    }
    const graph::Node* n = doc_->graph().find_node(node_);
    emptyLabel_->setVisible(!n);
    form_->setVisible(n != nullptr);
    auto* layout = new QFormLayout(form_);
    layout->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    layout->setContentsMargins(0, 0, 0, 0);
    if (!n) return;
    const graph::LayerDescriptor* d = graph::LayerRegistry::instance().find(n->type);
    const graph::NodeId id = node_;

    nameEdit_ = new QLineEdit(form_);
    nameEdit_->setObjectName("nameEdit");
    layout->addRow(tr("Name"), nameEdit_);
    connect(nameEdit_, &QLineEdit::editingFinished, this, [this, id] {
        if (!doc_->rename(id, nameEdit_->text())) updateValues();  // refused: show the current name again
    });
    typeLabel_ = new QLabel(QStringLiteral("<b>%1</b>").arg(QString::fromStdString(n->type)), form_);
    typeLabel_->setToolTip(d ? QString::fromStdString(d->help) : QString());
    layout->addRow(tr("Type"), typeLabel_);

    if (d && !d->attributes.empty()) {
        auto* header = new QLabel(tr("<b>Attributes</b>"), form_);
        layout->addRow(header);
    }
    for (const graph::AttributeSpec& spec : d ? d->attributes : std::vector<graph::AttributeSpec>{}) {
        const std::string name = spec.name;
        QWidget* editor = nullptr;
        switch (spec.type) {
            case graph::AttributeType::Int: {
                auto* box = new QSpinBox(form_);
                box->setRange(spec.min ? static_cast<int>(std::max<double>(*spec.min, INT_MIN)) : INT_MIN,
                              spec.max ? static_cast<int>(std::min<double>(*spec.max, INT_MAX)) : INT_MAX);
                if (spec.min && *spec.min == 0 && spec.help.find("(auto)") != std::string::npos)
                    box->setSpecialValueText(tr("auto"));
                connect(box, &QSpinBox::valueChanged, this, [this, id, name](int v) {
                    doc_->setAttribute(id, name, graph::AttributeValue(std::int64_t{v}));
                });
                editor = box;
                break;
            }
            case graph::AttributeType::Float: {
                auto* box = new QDoubleSpinBox(form_);
                box->setDecimals(6);
                box->setRange(spec.min ? *spec.min : -1e9, spec.max ? *spec.max : 1e9);
                box->setSingleStep(spec.max && *spec.max <= 1.0 ? 0.05 : 0.1);
                connect(box, &QDoubleSpinBox::valueChanged, this, [this, id, name](double v) {
                    doc_->setAttribute(id, name, graph::AttributeValue(v));
                });
                editor = box;
                break;
            }
            case graph::AttributeType::Bool: {
                auto* box = new QCheckBox(form_);
                connect(box, &QCheckBox::toggled, this, [this, id, name](bool v) {
                    doc_->setAttribute(id, name, graph::AttributeValue(v));
                });
                editor = box;
                break;
            }
            case graph::AttributeType::Choice: {
                auto* box = new QComboBox(form_);
                for (const auto& c : spec.choices) box->addItem(QString::fromStdString(c));
                connect(box, &QComboBox::currentTextChanged, this, [this, id, name](const QString& v) {
                    doc_->setAttribute(id, name, graph::AttributeValue(v.toStdString()));
                });
                editor = box;
                break;
            }
            case graph::AttributeType::IntList: {
                auto* edit = new QLineEdit(form_);
                edit->setPlaceholderText(tr("e.g. 3, 3"));
                connect(edit, &QLineEdit::editingFinished, this, [this, id, name, edit] {
                    auto v = parseList(edit->text());
                    if (!v) {
                        emit statusMessage(tr("%1: enter whole numbers separated by commas, like \"3, 3\"")
                                               .arg(QString::fromStdString(name)));
                        updateValues();
                        return;
                    }
                    doc_->setAttribute(id, name, graph::AttributeValue(*v));
                });
                editor = edit;
                break;
            }
        }
        editor->setObjectName(QStringLiteral("attr_") + QString::fromStdString(name));
        editor->setToolTip(QString::fromStdString(spec.help));
        auto* label = new QLabel(QString::fromStdString(name), form_);
        label->setToolTip(QString::fromStdString(spec.help));
        layout->addRow(label, editor);
        editors_[name] = editor;
    }

    auto* info = new QLabel(tr("<b>Output</b>"), form_);
    layout->addRow(info);
    shapeLabel_ = new QLabel(form_);
    shapeLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    paramsLabel_ = new QLabel(form_);
    layout->addRow(tr("Shape"), shapeLabel_);
    layout->addRow(tr("Parameters"), paramsLabel_);
    macsLabel_ = new QLabel(form_);
    macsLabel_->setObjectName("macsLabel");
    macsLabel_->setToolTip(tr("Multiply-accumulates of one sample's forward pass (docs/model-costs.md)"));
    layout->addRow(tr("MACs"), macsLabel_);
    memoryLabel_ = new QLabel(form_);
    memoryLabel_->setObjectName("activationMemoryLabel");
    memoryLabel_->setToolTip(tr("The bytes of the node's outputs per sample in float32: what the forward pass keeps "
                                "for the backward pass"));
    layout->addRow(tr("Activations"), memoryLabel_);
    issuesLabel_ = new QLabel(form_);
    issuesLabel_->setWordWrap(true);
    layout->addRow(issuesLabel_);
    form_->setEnabled(!doc_->isReadOnly());
    updateValues();
    updateInfo();
}

void PropertiesPanel::updateValues() {
    const graph::Node* n = doc_->graph().find_node(node_);
    if (!n || !nameEdit_) return;
    {
        QSignalBlocker b(nameEdit_);
        nameEdit_->setText(QString::fromStdString(n->name));
    }
    const graph::LayerDescriptor* d = graph::LayerRegistry::instance().find(n->type);
    if (!d) return;
    const graph::AttributeMap values = d->resolve(n->attributes);
    for (const auto& [name, editor] : editors_) {
        auto it = values.find(name);
        if (it == values.end()) continue;
        const graph::AttributeValue& v = it->second;
        QSignalBlocker b(editor);
        if (auto* s = qobject_cast<QSpinBox*>(editor); s && std::holds_alternative<std::int64_t>(v))
            s->setValue(static_cast<int>(std::get<std::int64_t>(v)));
        else if (auto* ds = qobject_cast<QDoubleSpinBox*>(editor)) {
            if (std::holds_alternative<double>(v)) ds->setValue(std::get<double>(v));
            if (std::holds_alternative<std::int64_t>(v)) ds->setValue(static_cast<double>(std::get<std::int64_t>(v)));
        } else if (auto* c = qobject_cast<QCheckBox*>(editor); c && std::holds_alternative<bool>(v))
            c->setChecked(std::get<bool>(v));
        else if (auto* cb = qobject_cast<QComboBox*>(editor); cb && std::holds_alternative<std::string>(v))
            cb->setCurrentText(QString::fromStdString(std::get<std::string>(v)));
        else if (auto* e = qobject_cast<QLineEdit*>(editor); e && std::holds_alternative<std::vector<std::int64_t>>(v))
            e->setText(listText(std::get<std::vector<std::int64_t>>(v)));
    }
}

void PropertiesPanel::updateInfo() {
    if (!shapeLabel_ || !doc_->graph().has_node(node_)) return;
    const graph::NodeShapes* s = doc_->shapes().find(node_);
    QStringList outs;
    if (s && s->known)
        for (const auto& o : s->outputs) outs << GraphDocument::shapeText(o);
    shapeLabel_->setText(s && s->known ? (outs.isEmpty() ? tr("(scalar loss)") : outs.join(", ")) : tr("unknown"));
    paramsLabel_->setText(s && s->known ? GraphDocument::countText(s->parameters) : tr("unknown"));
    if (s && s->known) {
        macsLabel_->setText(s->macs < 0 ? tr("unknown (the layer gives no count)")
                                        : tr("%1 per sample (%2)").arg(GraphDocument::countText(s->macs),
                                                                       NodeItem::macsText(s->macs)));
        std::int64_t elements = 0;
        for (const auto& o : s->outputs) {
            std::int64_t n = 1;
            for (const auto dim : o) n *= dim;
            elements += n;
        }
        const double bytes = static_cast<double>(elements) * 4;
        memoryLabel_->setText(bytes < 1000 ? tr("%1 B per sample").arg(bytes)
                                           : tr("%1 KB per sample").arg(bytes / 1000, 0, 'f', bytes < 1e5 ? 2 : 1));
    } else {
        macsLabel_->setText(tr("unknown"));
        memoryLabel_->setText(tr("unknown"));
    }
    QStringList issues;
    for (const auto& d : doc_->diagnosticsFor(node_))
        issues << QStringLiteral("<span style='color:%1'><b>%2</b> %3</span>")
                      .arg(d.severity == graph::Severity::Error ? "#d03030" : "#c08000",
                           d.severity == graph::Severity::Error ? tr("Error:") : tr("Warning:"),
                           QString::fromStdString(d.message).toHtmlEscaped());
    issuesLabel_->setText(issues.join("<br>"));
    issuesLabel_->setVisible(!issues.isEmpty());
}

}  // namespace neura::gui
