#include "editor/NodeItem.h"

#include <QApplication>
#include <QFontDatabase>
#include <QFontMetricsF>
#include <QPainter>
#include <QPalette>
#include <QStyleOptionGraphicsItem>

#include "document/GraphDocument.h"
#include "editor/PortItem.h"
#include "editor/ScaleColours.h"
#include "neura/graph/LayerRegistry.h"

namespace neura::gui {

namespace {
constexpr double kHeader = 44;
constexpr double kRow = 20;
constexpr double kFooter = 42;
constexpr double kCorner = 7;

QColor categoryColour(const QString& category) {
    static const std::map<QString, QColor> kColours = {
        {"IO", QColor(46, 160, 67)},           {"Core", QColor(56, 116, 203)},
        {"Convolution", QColor(137, 87, 209)}, {"Pooling", QColor(26, 150, 160)},
        {"Normalization", QColor(160, 140, 30)}, {"Activation", QColor(220, 120, 30)},
        {"Merge", QColor(200, 70, 140)},       {"Loss", QColor(190, 60, 60)},
    };
    auto it = kColours.find(category);
    return it == kColours.end() ? QColor(110, 110, 120) : it->second;
}

QColor blend(const QColor& a, const QColor& b, double t) {
    return QColor::fromRgbF(static_cast<float>(a.redF() * (1 - t) + b.redF() * t),
                            static_cast<float>(a.greenF() * (1 - t) + b.greenF() * t),
                            static_cast<float>(a.blueF() * (1 - t) + b.blueF() * t));
}
}  // namespace

NodeItem::NodeItem(const GraphDocument* doc, graph::NodeId id) : doc_(doc), id_(id) {
    setFlags(ItemIsSelectable | ItemSendsGeometryChanges);
    setAcceptHoverEvents(true);
    setZValue(1);
    setData(0, QVariant::fromValue<quint32>(id.value));
    refresh();
}

double NodeItem::height() const {
    if (compact_) return kHeader + kFooter;
    const std::size_t rows = std::max<std::size_t>({inputs_.size(), outputs_.size(), 1});
    return kHeader + kRow * static_cast<double>(rows) + kFooter;
}

QRectF NodeItem::boundingRect() const { return QRectF(-3, -3, kWidth + 6, height() + 6); }

void NodeItem::rebuildPorts() {
    const graph::Node* n = doc_->graph().find_node(id_);
    const graph::LayerDescriptor* d = n ? graph::LayerRegistry::instance().find(n->type) : nullptr;
    const std::size_t ins = doc_->inputPortCount(id_), outs = doc_->outputPortCount(id_);
    if (ins == inputs_.size() && outs == outputs_.size()) return;
    prepareGeometryChange();
    for (auto* p : inputs_) delete p;
    for (auto* p : outputs_) delete p;
    inputs_.clear();
    outputs_.clear();
    // A node whose plugin is missing has no descriptor: its port names are the ones the file stored.
    auto stored = [](const std::vector<std::string>& names, std::size_t i, const char* fallback) {
        return QString::fromStdString(i < names.size() ? names[i] : fallback);
    };
    const graph::PluginRequirement none;
    const graph::PluginRequirement& plugin = n ? n->plugin : none;
    const QString firstIn = d ? QString::fromStdString(d->inputs.empty() ? "" : d->inputs.front().name) : stored(plugin.inputs, 0, "in");
    const QString firstOut = d ? QString::fromStdString(d->outputs.empty() ? "" : d->outputs.front().name) : stored(plugin.outputs, 0, "out");
    compact_ = ins <= 1 && outs <= 1 && (ins == 0 || firstIn == "input") && (outs == 0 || firstOut == "output");
    for (std::size_t i = 0; i < ins; ++i) {
        const graph::PortSpec* spec = d && (i < d->inputs.size() || d->variadic_inputs) ? &d->input_port(i) : nullptr;
        QString name = spec ? QString::fromStdString(spec->name) : stored(plugin.inputs, i, "in");
        if (d && d->variadic_inputs && i + 1 >= d->inputs.size()) name += QString::number(i);
        auto* p = new PortItem({id_, graph::PortIndex{static_cast<graph::PortIndex::Rep>(i)}}, true, name,
                               spec && spec->kind == graph::PortKind::DataTarget, this);
        p->setPos(0, compact_ ? kHeader + kFooter / 2 : kHeader + kRow * (static_cast<double>(i) + 0.5));
        inputs_.push_back(p);
    }
    for (std::size_t i = 0; i < outs; ++i) {
        auto* p = new PortItem({id_, graph::PortIndex{static_cast<graph::PortIndex::Rep>(i)}}, false,
                               d && i < d->outputs.size() ? QString::fromStdString(d->outputs[i].name)
                                                          : stored(plugin.outputs, i, "out"),
                               false, this);
        p->setPos(kWidth, compact_ ? kHeader + kFooter / 2 : kHeader + kRow * (static_cast<double>(i) + 0.5));
        outputs_.push_back(p);
    }
}

void NodeItem::refresh() {
    const graph::Node* n = doc_->graph().find_node(id_);
    if (!n) return;
    rebuildPorts();
    name_ = QString::fromStdString(n->name);
    type_ = QString::fromStdString(n->type);
    const graph::LayerDescriptor* d = graph::LayerRegistry::instance().find(n->type);
    category_ = d ? QString::fromStdString(d->category) : QString();
    const graph::NodeShapes* s = doc_->shapes().find(id_);
    if (s && s->known && !s->outputs.empty())
        shape_ = GraphDocument::shapeText(s->outputs.front());
    else if (d && d->outputs.empty())
        shape_ = QObject::tr("scalar loss");
    else
        shape_ = QStringLiteral("[B, ?]");
    params_ = s && s->known ? GraphDocument::countText(s->parameters) : QStringLiteral("?");
    // Layers that do no arithmetic (activations, reshapes, Input, Loss) show none.
    macs_ = s && s->known && s->macs != 0 ? QObject::tr("%1 MACs").arg(macsText(s->macs)) : QString();
    error_ = warning_ = false;
    QStringList messages;
    for (const auto& diag : doc_->diagnosticsFor(id_)) {
        (diag.severity == graph::Severity::Error ? error_ : warning_) = true;
        messages << QString::fromStdString(diag.message);
    }
    message_ = messages.join(QLatin1Char('\n'));
    QString tip = QStringLiteral("<b>%1</b> (%2)").arg(name_.toHtmlEscaped(), type_);
    if (d && !d->help.empty()) tip += QStringLiteral("<br>") + QString::fromStdString(d->help).toHtmlEscaped();
    if (!message_.isEmpty())
        tip += QStringLiteral("<hr><span style='color:%1'>%2</span>")
                   .arg(error_ ? "#d03030" : "#c08000", message_.toHtmlEscaped().replace("\n", "<br>"));
    baseTip_ = tip;
    updateToolTip();
    for (auto* p : inputs_) p->setConnected(doc_->graph().edge_into(p->ref()).has_value());
    for (auto* p : outputs_) {
        bool used = false;
        for (auto e : doc_->graph().edges_out_of(id_)) used = used || doc_->graph().edge(e).from.port == p->ref().port;
        p->setConnected(used);
    }
    update();
}

QColor NodeItem::verdictColour(int verdict) {
    switch (verdict) {
        case 0: return QColor(40, 170, 70);
        case 1: return QColor(225, 160, 20);
        case 2: return QColor(220, 50, 50);
        default: return {};
    }
}

void NodeItem::setGradcheckVerdict(int verdict) {
    if (verdict == verdict_) return;
    verdict_ = verdict;
    updateToolTip();
    update();
}

void NodeItem::setActivationScale(double rms, double deadFraction) {
    activationRms_ = rms;
    deadFraction_ = deadFraction;
    updateToolTip();
    update();
}

void NodeItem::updateToolTip() {
    QString tip = baseTip_;
    if (verdict_ >= 0) {
        static const char* kWords[] = {"passed", "passed, but close to the tolerance", "FAILED"};
        tip += QStringLiteral("<hr>Gradient check: <span style='color:%1'><b>%2</b></span>")
                   .arg(verdictColour(verdict_).name(), QObject::tr(kWords[verdict_]));
    }
    if (activationRms_ >= 0) {
        using namespace scale_colours;
        tip += QStringLiteral("<hr>Output RMS %1 (%2)").arg(activationRms_, 0, 'g', 3).arg(verdict(activationRms_, kActivation));
        if (deadFraction_ >= 0) tip += QObject::tr("<br>Dead units on the last batch: %1%").arg(deadFraction_ * 100, 0, 'f', 1);
    }
    setToolTip(tip);
}

PortItem* NodeItem::inputPort(std::size_t index) const { return index < inputs_.size() ? inputs_[index] : nullptr; }
PortItem* NodeItem::outputPort(std::size_t index) const { return index < outputs_.size() ? outputs_[index] : nullptr; }

void NodeItem::paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget*) {
    const QPalette pal = QApplication::palette();
    const bool dark = pal.color(QPalette::Window).lightness() < 128;
    const QColor error(220, 50, 50), warning(220, 150, 20);
    const QColor accent = categoryColour(category_);
    const QRectF body(0, 0, kWidth, height());
    p->setRenderHint(QPainter::Antialiasing);

    // Body
    QColor bodyFill = pal.color(QPalette::Base);
    if (error_) bodyFill = blend(bodyFill, error, dark ? 0.25 : 0.12);
    QColor border = error_ ? error : warning_ ? warning : blend(pal.color(QPalette::Text), bodyFill, 0.65);
    const bool selected = option->state & QStyle::State_Selected;
    if (selected) border = pal.color(QPalette::Highlight);
    if (verdict_ >= 0) {  // the gradient check's verdict: a halo around the node
        QColor halo = verdictColour(verdict_);
        p->setPen(QPen(halo, 5.0));
        p->setBrush(Qt::NoBrush);
        p->drawRoundedRect(body.adjusted(-1.5, -1.5, 1.5, 1.5), kCorner + 1.5, kCorner + 1.5);
    }
    p->setPen(QPen(border, selected || error_ ? 2.4 : 1.2));
    p->setBrush(bodyFill);
    p->drawRoundedRect(body, kCorner, kCorner);
    if (activationRms_ >= 0) {  // activation scale: a strip along the bottom edge
        QPainterPath strip;
        strip.addRoundedRect(body.adjusted(1, 0, -1, -1), kCorner, kCorner);
        QPainterPath band;
        band.addRect(QRectF(0, height() - 6, kWidth, 6));
        p->fillPath(strip.intersected(band), scale_colours::colour(activationRms_, scale_colours::kActivation));
    }

    // Header band in the category colour
    QPainterPath header;
    header.setFillRule(Qt::WindingFill);
    header.addRoundedRect(QRectF(0, 0, kWidth, kHeader), kCorner, kCorner);
    header.addRect(QRectF(0, kHeader - kCorner, kWidth, kCorner));
    const QColor headerFill = error_ ? blend(accent, error, 0.7) : accent;
    p->fillPath(header.intersected([&] { QPainterPath b; b.addRoundedRect(body.adjusted(1, 1, -1, 0), kCorner, kCorner); return b; }()),
                dark ? headerFill.darker(125) : headerFill);
    QFont f = QApplication::font();
    QFont bold = f;
    bold.setBold(true);
    bold.setPointSizeF(f.pointSizeF() * 1.05);
    QFont small = f;
    small.setPointSizeF(f.pointSizeF() * 0.85);
    p->setPen(Qt::white);
    p->setFont(bold);
    QFontMetricsF fmBold(bold);
    p->drawText(QRectF(10, 4, kWidth - 20, 20), Qt::AlignLeft | Qt::AlignVCenter,
                fmBold.elidedText(name_, Qt::ElideRight, kWidth - 20));
    p->setFont(small);
    p->setPen(QColor(255, 255, 255, 215));
    p->drawText(QRectF(10, 23, kWidth - 20, 18), Qt::AlignLeft | Qt::AlignVCenter, type_);
    if (verdict_ >= 0 && !(error_ || warning_)) {  // the check's badge: ✓ or ✗
        const QRectF badge(kWidth - 26, 12, 18, 18);
        p->setPen(Qt::NoPen);
        p->setBrush(Qt::white);
        p->drawEllipse(badge);
        p->setPen(verdictColour(verdict_));
        p->setFont(bold);
        p->drawText(badge, Qt::AlignCenter, verdict_ == 2 ? QStringLiteral("\u2717") : QStringLiteral("\u2713"));
    }
    if (error_ || warning_) {  // badge
        const QRectF badge(kWidth - 26, 12, 18, 18);
        p->setPen(Qt::NoPen);
        p->setBrush(Qt::white);
        p->drawEllipse(badge);
        p->setPen(error_ ? error : warning);
        p->setFont(bold);
        p->drawText(badge, Qt::AlignCenter, QStringLiteral("!"));
    }

    // Port labels
    p->setFont(small);
    const QColor text = pal.color(QPalette::Text);
    const QColor faint = blend(text, bodyFill, 0.4);
    p->setPen(faint);
    // A lone port called "input" / "output" needs no label; named or several ports do.
    const bool labelInputs = inputs_.size() > 1 || (inputs_.size() == 1 && inputs_[0]->name() != "input");
    const bool labelOutputs = outputs_.size() > 1 || (outputs_.size() == 1 && outputs_[0]->name() != "output");
    for (auto* port : labelInputs ? inputs_ : std::vector<PortItem*>{})
        p->drawText(QRectF(12, port->pos().y() - 9, kWidth / 2 - 12, 18), Qt::AlignLeft | Qt::AlignVCenter, port->name());
    for (auto* port : labelOutputs ? outputs_ : std::vector<PortItem*>{})
        p->drawText(QRectF(kWidth / 2, port->pos().y() - 9, kWidth / 2 - 12, 18), Qt::AlignRight | Qt::AlignVCenter,
                    port->name());

    // Footer: output shape and parameters
    const double fy = height() - kFooter;
    if (!compact_) {
        p->setPen(QPen(blend(text, bodyFill, 0.82), 1));
        p->drawLine(QPointF(1, fy), QPointF(kWidth - 1, fy));
    }
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    mono.setPointSizeF(f.pointSizeF() * 0.92);
    p->setFont(mono);
    p->setPen(error_ ? error : text);
    p->drawText(QRectF(10, fy + 3, kWidth - 20, 18), Qt::AlignLeft | Qt::AlignVCenter,
                QFontMetricsF(mono).elidedText(shape_, Qt::ElideRight, kWidth - 20));
    p->setFont(small);
    p->setPen(faint);
    // Parameters left, MACs right on one row, so the node keeps its height; MACs give way when both do not fit.
    const QString paramsText = QObject::tr("%1 params").arg(params_);
    const QFontMetricsF sm(small);
    const double paramsWidth = sm.horizontalAdvance(paramsText);
    p->drawText(QRectF(10, fy + 20, kWidth - 20, 18), Qt::AlignLeft | Qt::AlignVCenter,
                sm.elidedText(paramsText, Qt::ElideRight, kWidth - 20));
    const double room = kWidth - 20 - paramsWidth - 8;
    if (!macs_.isEmpty() && sm.horizontalAdvance(macs_) <= room)
        p->drawText(QRectF(10, fy + 20, kWidth - 20, 18), Qt::AlignRight | Qt::AlignVCenter, macs_);
}

QString NodeItem::macsText(std::int64_t macs) {
    if (macs < 0) return QStringLiteral("?");
    const char* units[] = {"", "K", "M", "G", "T"};
    double v = static_cast<double>(macs);
    int u = 0;
    while (v >= 1000 && u < 4) {
        v /= 1000;
        ++u;
    }
    if (u == 0) return QString::number(macs);
    // 3 significant digits: 85.8K, 1.23M, 412K
    return QStringLiteral("%1%2").arg(QString::number(v, 'f', v < 10 ? 2 : v < 100 ? 1 : 0), units[u]);
}

}  // namespace neura::gui
