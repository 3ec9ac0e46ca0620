//! Heatmaps of a measure over two swept axes, and the regime map (filled by the sweep issue).
