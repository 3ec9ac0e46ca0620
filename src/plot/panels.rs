//! Figures of several panels ("small multiples"): one map per facet of a sweep, in a grid of
//! rows × columns that share axes, colour scale and legend (drawn once, at the side).

use super::{ensure_font, Area, PlotError, FONT_FAMILY};
use crate::plot_try;
use plotters::prelude::*;
use std::path::Path;

/// Most panels in one figure; more are split over several figures.
pub const MAX_PANELS: usize = 48;

/// How the panels of a figure are arranged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PanelLayout {
    pub rows: usize,
    pub cols: usize,
}

impl PanelLayout {
    /// A layout for `n` panels of one list: a single row up to 4, else near-square.
    pub fn for_count(n: usize) -> PanelLayout {
        let n = n.max(1);
        let cols = if n <= 4 {
            n
        } else {
            (n as f64).sqrt().ceil() as usize
        };
        PanelLayout {
            rows: n.div_ceil(cols),
            cols,
        }
    }

    /// Panels in this layout.
    pub fn len(&self) -> usize {
        self.rows * self.cols
    }

    /// Always false: a layout has at least one panel.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// One panel on its own (the figure of a sweep without facets).
    pub fn single(&self) -> bool {
        self.len() == 1
    }
}

/// Sizes of a figure's parts in pixels.
#[derive(Debug, Clone, Copy)]
pub struct FigureSize {
    pub panel_w: u32,
    pub panel_h: u32,
    /// Width of the side area (colour bar or legend).
    pub side_w: u32,
    pub title_h: u32,
    /// Least height of the whole figure (so a tall legend beside one row of panels fits).
    pub min_h: u32,
}

impl FigureSize {
    /// The size of a figure of `layout` with a side area `side_w` px wide: a lone panel is
    /// large (840 × 680), panels of a grid smaller.
    pub fn of(layout: PanelLayout, side_w: u32) -> FigureSize {
        let (panel_w, panel_h) = if layout.single() {
            (840, 680)
        } else {
            (470, 420)
        };
        FigureSize {
            panel_w,
            panel_h,
            side_w,
            title_h: 40,
            min_h: 0,
        }
    }

    /// The same size, at least `h` px high in all.
    pub fn at_least(self, h: u32) -> FigureSize {
        FigureSize { min_h: h, ..self }
    }

    fn total(&self, layout: PanelLayout) -> (u32, u32) {
        (
            self.panel_w * layout.cols as u32 + self.side_w,
            (self.panel_h * layout.rows as u32 + self.title_h).max(self.min_h),
        )
    }
}

/// A figure's areas: the panels (row-major) and the side area.
pub struct Figure<'b> {
    pub root: Area<'b>,
    pub panels: Vec<Area<'b>>,
    pub side: Area<'b>,
}

/// A white figure at `path` titled `title`, split into the panels of `layout` and a side area.
pub fn figure<'b>(
    path: &'b Path,
    layout: PanelLayout,
    size: FigureSize,
    title: &str,
) -> Result<Figure<'b>, PlotError> {
    ensure_font();
    let root = BitMapBackend::new(path, size.total(layout)).into_drawing_area();
    plot_try!(path, root.fill(&WHITE));
    let body = root
        .titled(title, (FONT_FAMILY, 22))
        .map_err(PlotError::at(path))?;
    let (grid, side) = body.split_horizontally(size.panel_w * layout.cols as u32);
    let panels = grid.split_evenly((layout.rows, layout.cols));
    Ok(Figure { root, panels, side })
}

/// What a panel shows of the axes: tick labels always, the axes' names only on the outer
/// edges of a grid (the bottom row, the left column).
#[derive(Debug, Clone, Copy)]
pub struct PanelPlace {
    pub x_name: bool,
    pub y_name: bool,
    /// Font size of ticks and names.
    pub font: u32,
}

impl PanelPlace {
    /// The place of panel `k` of `layout` holding `n` panels.
    pub fn of(k: usize, n: usize, layout: PanelLayout) -> PanelPlace {
        let (r, c) = (k / layout.cols, k % layout.cols);
        // The bottom panel of its column (the last row may be short).
        let below = k + layout.cols;
        PanelPlace {
            x_name: below >= n || r + 1 == layout.rows,
            y_name: c == 0,
            font: if layout.single() { 16 } else { 14 },
        }
    }
}

/// Splits `n` panels into figures of at most [`MAX_PANELS`], each with its layout: whole rows
/// of a `rows × cols` grid where one is given, else near-square pages of the list.
pub fn pages(n: usize, grid: Option<(usize, usize)>) -> Vec<(std::ops::Range<usize>, PanelLayout)> {
    match grid {
        Some((rows, cols)) if cols <= MAX_PANELS => {
            let per = (MAX_PANELS / cols).max(1);
            (0..rows)
                .step_by(per)
                .map(|r0| {
                    let r1 = (r0 + per).min(rows);
                    (
                        r0 * cols..r1 * cols,
                        PanelLayout {
                            rows: r1 - r0,
                            cols,
                        },
                    )
                })
                .collect()
        }
        _ => (0..n)
            .step_by(MAX_PANELS)
            .map(|a| {
                let b = (a + MAX_PANELS).min(n);
                (a..b, PanelLayout::for_count(b - a))
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_and_pages() {
        assert_eq!(PanelLayout::for_count(3), PanelLayout { rows: 1, cols: 3 });
        assert_eq!(PanelLayout::for_count(7), PanelLayout { rows: 3, cols: 3 });
        // A 10 × 6 grid of facets: 8 rows per figure (48 panels), then the last 2.
        let p = pages(60, Some((10, 6)));
        assert_eq!(p.len(), 2);
        assert_eq!(p[0], (0..48, PanelLayout { rows: 8, cols: 6 }));
        assert_eq!(p[1], (48..60, PanelLayout { rows: 2, cols: 6 }));
        assert_eq!(pages(100, None).len(), 3);
        assert_eq!(
            pages(3, None),
            vec![(0..3, PanelLayout { rows: 1, cols: 3 })]
        );
        let l = PanelLayout { rows: 2, cols: 3 };
        assert!(PanelPlace::of(3, 6, l).y_name && PanelPlace::of(4, 6, l).x_name);
        assert!(!PanelPlace::of(1, 6, l).x_name && !PanelPlace::of(1, 6, l).y_name);
        // 5 panels in 2 × 3: panel 2 has nothing below it, so it names the x axis.
        assert!(PanelPlace::of(2, 5, l).x_name);
    }
}
