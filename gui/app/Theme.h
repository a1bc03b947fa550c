#pragma once
// Light (the platform's own) and dark (Fusion) palettes. The canvas paints with palette colours, so
// both stay readable.
namespace neura::gui {
void applyTheme(bool dark);
}
