#pragma once
// ScaleColours: the colour scale the canvas uses for magnitudes seen during training — node outputs'
// RMS (activation scale) and the RMS of the loss's gradient along each edge. Blue is vanishing, green
// healthy, red exploding, on a log scale; the inspector draws the same scale as its legend.
#include <QColor>
#include <QString>
#include <algorithm>
#include <cmath>

namespace neura::gui::scale_colours {

// Decades covered by each scale: [lowest, highest] of log10(value); the middle is green.
struct Range {
    double low, high;
};
inline constexpr Range kActivation{-3.0, 3.0};  // RMS 1e-3 .. 1e3, 1 in the middle
inline constexpr Range kGradient{-7.0, 1.0};    // RMS 1e-7 .. 10, 1e-3 in the middle

// 0 at the vanishing end, 1 at the exploding end; zero (or below the range) is 0.
inline double position(double value, Range r) {
    if (!(value > 0.0)) return 0.0;
    if (!std::isfinite(value)) return 1.0;
    return std::clamp((std::log10(value) - r.low) / (r.high - r.low), 0.0, 1.0);
}

// Hue 240° (blue) → 120° (green) → 0° (red).
inline QColor colourAt(double t) { return QColor::fromHsvF(static_cast<float>((1.0 - t) * 240.0 / 360.0), 0.85f, 0.9f); }

inline QColor colour(double value, Range r) { return colourAt(position(value, r)); }

// A short description of where a value sits on the scale.
inline QString verdict(double value, Range r) {
    const double t = position(value, r);
    if (!std::isfinite(value)) return QStringLiteral("not finite");
    if (t <= 0.125) return QStringLiteral("vanishing");
    if (t >= 0.875) return QStringLiteral("exploding");
    return QStringLiteral("healthy");
}

}  // namespace neura::gui::scale_colours
