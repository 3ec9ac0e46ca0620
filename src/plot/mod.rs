//! PNG figures with plotters: rasters, the Fig. 8 layout, connectivity, heatmaps and the
//! regime map. Text is drawn with a bundled DejaVu Sans through `ab_glyph`, so no system font
//! library is needed.

pub mod connectivity;
pub mod heatmap;
pub mod labels;
pub mod panels;
pub mod phase_diagram;
pub mod raster;
pub mod regime_map;
pub mod spectrum;
pub mod ticks;

use std::path::Path;
use std::sync::Once;

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// Font family name used by every figure.
pub const FONT_FAMILY: &str = "sans-serif";

/// Registers the bundled font with plotters (once per process).
pub fn ensure_font() {
    REGISTER.call_once(|| {
        for style in [
            plotters::style::FontStyle::Normal,
            plotters::style::FontStyle::Bold,
        ] {
            if plotters::style::register_font(FONT_FAMILY, style, FONT).is_err() {
                panic!("the bundled font assets/fonts/DejaVuSans.ttf is not a valid font");
            }
        }
    });
}

/// A drawing area of a PNG figure (a whole figure or one of its panels).
pub(crate) type Area<'b> =
    plotters::drawing::DrawingArea<plotters::backend::BitMapBackend<'b>, plotters::coord::Shift>;

/// A chart with two real axes on a PNG figure.
pub(crate) type Chart<'a, 'b> = plotters::chart::ChartContext<
    'a,
    plotters::backend::BitMapBackend<'b>,
    plotters::coord::cartesian::Cartesian2d<
        plotters::coord::types::RangedCoordf64,
        plotters::coord::types::RangedCoordf64,
    >,
>;

/// Axis labels without decimals (neuron indices, times in ms).
pub(crate) fn whole(x: &f64) -> String {
    format!("{x:.0}")
}

/// A figure that could not be drawn or written.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw {path}: {message}")]
pub struct PlotError {
    /// The figure's file.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

impl PlotError {
    /// Turns an error of drawing `path` into a [`PlotError`] (for `map_err`).
    pub(crate) fn at<E: std::fmt::Display>(path: &Path) -> impl FnOnce(E) -> PlotError + '_ {
        move |e| PlotError {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}

/// Shorthand to turn any plotters error into a [`PlotError`] for `path`.
#[macro_export]
#[doc(hidden)]
macro_rules! plot_try {
    ($path:expr, $e:expr) => {
        $e.map_err(|e| $crate::plot::PlotError {
            path: $path.display().to_string(),
            message: e.to_string(),
        })?
    };
}
