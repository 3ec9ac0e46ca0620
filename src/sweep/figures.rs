//! The figures of a results folder: heatmaps and the regime map over the first two axes (one
//! panel per facet, in figures of at most [`MAX_PANELS`] panels), curves for one-axis sweeps,
//! and rasters of kept spike trains. The text reports live in [`super::report`].

use super::definition::{same_value, SweepDef};
use super::facets::facet_steps;
use super::refine;
use super::report::{f64_of, fill_with, label_grid, run_points, theory_grid};
use super::row::Row;
use crate::plot::heatmap::{column_label, curve, heatmap_panels, ColourScale, Grid};
use crate::plot::panels::{pages, PanelLayout, MAX_PANELS};
use crate::plot::raster::{fig8, raster};
use crate::plot::regime_map::{regime_map_panels, MapLine, RegimeMap};
use crate::store::layout::Layout;
use crate::store::spikes::read_spikes;
use crate::store::write_by_path;
use crate::theory::boundaries::{boundaries_for_until, Boundaries, Region};
use rayon::prelude::*;
use std::path::PathBuf;

/// The figures stopped before all were drawn (a signal arrived).
#[derive(Debug, thiserror::Error)]
#[error("stopped by a signal while drawing figures ({drawn} drawn); redraw them with `brunel plot {folder}`")]
pub struct DrawingStopped {
    pub drawn: usize,
    pub folder: String,
}

/// The figures of a sweep: the files written, and notes on what was skipped and why.
#[derive(Debug, Clone, Default)]
pub struct Drawn {
    pub files: Vec<PathBuf>,
    pub notes: Vec<String>,
}

/// Draws every figure of a sweep into `plots/`. `stop` is asked before each figure: when it
/// says so, drawing ends with [`DrawingStopped`]. A kept spike file that cannot be read is
/// skipped with a note, not an error.
pub fn draw_all(
    def: &SweepDef,
    layout: &Layout,
    rows: &[Row],
    stop: &dyn Fn() -> bool,
) -> anyhow::Result<Drawn> {
    let dir = layout.plots();
    crate::store::layout::sub_folder(&dir)?;
    let mut d = Drawing {
        def,
        layout,
        rows,
        stop,
        dir,
        out: Drawn::default(),
        facets: (0..def.n_facets())
            .map(|f| Facet::of(def, rows, f))
            .collect(),
        groups: figure_groups(def),
    };
    match def.axes.get(1) {
        Some(_) => {
            d.heatmaps()?;
            if def.plots.regime_map {
                d.regime_map()?;
            }
        }
        None => d.curves()?,
    }
    d.kept_spikes()?;
    Ok(d.out)
}

/// One facet seen as a two-axis sweep: its view of the definition, its rows renumbered to its
/// map's points, and (refining sweeps) the owner of every lattice cell.
struct Facet {
    def: SweepDef,
    rows: Vec<Row>,
    owners: Option<Vec<Option<usize>>>,
}

impl Facet {
    fn of(def: &SweepDef, rows: &[Row], f: usize) -> Facet {
        let (view, rows) = (def.facet_def(f), def.facet_rows(f, rows));
        let owners = view
            .refine
            .as_ref()
            .map(|r| refine::owners(r, run_points(&rows)));
        Facet {
            def: view,
            rows,
            owners,
        }
    }

    /// Each lattice cell of a refining sweep filled from its owner.
    fn filled<T: Clone>(&self, cells: Vec<Vec<Option<T>>>) -> Vec<Vec<Option<T>>> {
        match (&self.def.refine, &self.owners) {
            (Some(r), Some(o)) => fill_with(r, o, cells),
            _ => cells,
        }
    }

    /// The mean of `col` per cell of the first two axes.
    fn grid_of(&self, col: &str) -> Grid {
        let (xa, ya) = (&self.def.axes[0], &self.def.axes[1]);
        let mut grid = Grid::from_samples(
            &xa.param,
            &ya.param,
            &xa.values,
            &ya.values,
            self.rows.iter().filter_map(|r| {
                Some((
                    f64_of(r, &xa.param)?,
                    f64_of(r, &ya.param)?,
                    f64_of(r, col)?,
                ))
            }),
        );
        grid.cells = self.filled(grid.cells);
        grid
    }
}

/// Facets drawn together in one figure (split further into pages of at most [`MAX_PANELS`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FigureGroup {
    /// Added to file names: empty, or `_tau_rp_ms=2` for the values the figure fixes.
    pub suffix: String,
    /// Added to titles: empty, or ` — tau_rp_ms=2`.
    pub title: String,
    /// The facets drawn, in panel order (row-major).
    pub facets: Vec<usize>,
    /// Each panel's title: the values of the facet axes the figure varies.
    pub captions: Vec<String>,
    /// rows × cols where the figure is a grid of two facet axes.
    pub grid: Option<(usize, usize)>,
}

/// How a sweep's facets are laid out in figures: one figure without facets or with one
/// facet axis (a panel per value), a rows × cols grid for two facet axes, and one such grid
/// per combination of the other values for more.
pub fn figure_groups(def: &SweepDef) -> Vec<FigureGroup> {
    let axes = &def.facets;
    let n = def.n_facets();
    let shown = axes.len().min(2);
    let fixed = axes.len() - shown;
    let per: usize = axes[fixed..].iter().map(|a| a.len()).product();
    (0..n / per.max(1))
        .map(|g| {
            let facets: Vec<usize> = (g * per..(g + 1) * per).collect();
            let steps = facet_steps(axes, g * per);
            let rest: Vec<String> = (0..fixed).map(|k| axes[k].label(steps[k])).collect();
            let captions = facets
                .iter()
                .map(|&f| {
                    let s = facet_steps(axes, f);
                    (fixed..axes.len())
                        .map(|k| axes[k].label(s[k]))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .collect();
            FigureGroup {
                suffix: rest
                    .iter()
                    .map(|l| format!("_{}", file_part(l)))
                    .collect::<String>(),
                title: if rest.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", rest.join(", "))
                },
                facets,
                captions,
                grid: (shown == 2).then(|| (axes[fixed].len(), axes[fixed + 1].len())),
            }
        })
        .collect()
}

/// A label as part of a file name: `N_E=10000, N_I=2500` → `N_E=10000_N_I=2500`, and any
/// character other than letters, digits, `_`, `=`, `.`, `-` dropped.
fn file_part(label: &str) -> String {
    label
        .replace(", ", "_")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "_=.-".contains(*c))
        .collect()
}

/// One call of [`draw_all`] in progress.
struct Drawing<'a> {
    def: &'a SweepDef,
    layout: &'a Layout,
    rows: &'a [Row],
    stop: &'a dyn Fn() -> bool,
    dir: PathBuf,
    out: Drawn,
    facets: Vec<Facet>,
    groups: Vec<FigureGroup>,
}

impl Drawing<'_> {
    fn check_stop(&self) -> anyhow::Result<()> {
        if (self.stop)() {
            return Err(DrawingStopped {
                drawn: self.out.files.len(),
                folder: self.layout.root.display().to_string(),
            }
            .into());
        }
        Ok(())
    }

    fn has_column(&mut self, col: &str) -> bool {
        let has = self.rows.first().and_then(|r| r.get(col)).is_some();
        if !has {
            self.out.notes.push(format!(
                "no column `{col}` in the results; its figure is skipped"
            ));
        }
        has
    }

    /// The files of figure `stem` (e.g. `heatmap_rate_hz`) for every group and page, with
    /// their facets, captions, layout and title suffix; a split is noted.
    fn pages_of(&mut self, stem: &str) -> Vec<Page> {
        let mut out = Vec::new();
        for g in &self.groups {
            let split = pages(g.facets.len(), g.grid);
            let k = split.len();
            if k > 1 {
                self.out.notes.push(format!(
                    "{stem}{}: {} panels, split into {k} figures of at most {MAX_PANELS} (…_page1.png to …_page{k}.png)",
                    g.suffix,
                    g.facets.len()
                ));
            }
            for (i, (range, layout)) in split.into_iter().enumerate() {
                let page = if k > 1 {
                    format!("_page{}", i + 1)
                } else {
                    String::new()
                };
                out.push(Page {
                    path: self.dir.join(format!("{stem}{}{page}.png", g.suffix)),
                    title: if k > 1 {
                        format!("{} (page {} of {k})", g.title, i + 1)
                    } else {
                        g.title.clone()
                    },
                    facets: g.facets[range.clone()].to_vec(),
                    captions: g.captions[range].to_vec(),
                    layout,
                });
            }
        }
        out
    }

    /// One figure per column (per group and page for facets), all panels of a column on one
    /// colour scale, linear or log as `[plots] scales` or the values' span decide.
    fn heatmaps(&mut self) -> anyhow::Result<()> {
        for col in self.def.plots.heatmaps.clone() {
            self.check_stop()?;
            if !self.has_column(&col) {
                continue;
            }
            let grids: Vec<Grid> = self.facets.iter().map(|f| f.grid_of(&col)).collect();
            let kind = self.def.plots.scales.get(&col).copied().unwrap_or_default();
            let scale = ColourScale::of(&grids.iter().collect::<Vec<_>>(), kind);
            let label = column_label(&col);
            for page in self.pages_of(&format!("heatmap_{col}")) {
                self.check_stop()?;
                let panels: Vec<(String, &Grid)> = page
                    .facets
                    .iter()
                    .zip(&page.captions)
                    .map(|(&f, c)| (c.clone(), &grids[f]))
                    .collect();
                let title = format!("{}: {label}{}", self.def.name, page.title);
                write_by_path(&page.path, |p| {
                    heatmap_panels(&panels, page.layout, p, &title, &label, &scale)
                })?;
                self.out.files.push(page.path);
            }
        }
        Ok(())
    }

    /// The regime map of every facet, with the theory's lines traced for its fixed values.
    fn regime_map(&mut self) -> anyhow::Result<()> {
        self.check_stop()?;
        let lines = self.theory_lines()?;
        self.check_stop()?;
        let theory: Vec<Option<Grid>> = self
            .facets
            .iter()
            .map(|f| {
                let known = f
                    .rows
                    .iter()
                    .filter_map(|r| f64_of(r, "theory_rate_hz"))
                    .any(|v| v.is_finite());
                known.then(|| f.grid_of("theory_rate_hz"))
            })
            .collect();
        let pages = self.pages_of("regime_map");
        let maps: Vec<RegimeMap> = self
            .facets
            .iter()
            .zip(&theory)
            .zip(lines)
            .map(|((f, th), lines)| facet_map(f, th.as_ref(), lines))
            .collect();
        for page in pages {
            self.check_stop()?;
            let panels: Vec<(String, &RegimeMap)> = page
                .facets
                .iter()
                .zip(&page.captions)
                .map(|(&f, c)| (c.clone(), &maps[f]))
                .collect();
            let runs: usize = page.facets.iter().map(|&f| self.facets[f].rows.len()).sum();
            let title = format!("{}: regimes ({runs} runs){}", self.def.name, page.title);
            write_by_path(&page.path, |p| {
                regime_map_panels(&panels, page.layout, p, &title)
            })?;
            self.out.files.push(page.path);
        }
        Ok(())
    }

    /// The theory's boundary lines of every facet over its map of g and eta (Brunel 2000
    /// Fig. 2, for the facet's fixed parameters; facets traced in parallel), written to
    /// `theory_lines.parquet` for notebooks, with the facet values as columns. None when
    /// `[plots] theory_lines = false`, the axes are not g and eta, or the model has no
    /// theory; a tracing that fails is a note, not an error.
    fn theory_lines(&mut self) -> anyhow::Result<Vec<Vec<MapLine>>> {
        let none = || vec![vec![]; self.facets.len()];
        let names: Vec<&str> = self.def.axes.iter().map(|a| a.param.as_str()).collect();
        let g_first = match names[..] {
            ["g", "eta"] => true,
            ["eta", "g"] => false,
            _ => return Ok(none()),
        };
        if !self.def.plots.theory_lines || self.def.model.mean_field.is_none() {
            return Ok(none());
        }
        let range = |k: usize| {
            let v = &self.def.axes[k].values;
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (lo, hi)
        };
        let (g, eta) = if g_first {
            (range(0), range(1))
        } else {
            (range(1), range(0))
        };
        let traced: Vec<Option<Boundaries>> = self
            .trace_until_stopped(g, eta)?
            .into_iter()
            .enumerate()
            .map(|(k, b)| match b {
                Ok(b) => Some(b),
                Err(e) => {
                    let at = self.facet_note(k);
                    self.out
                        .notes
                        .push(format!("theory's lines{at} not drawn: {e}"));
                    None
                }
            })
            .collect();
        self.write_lines(&traced);
        Ok(traced
            .iter()
            .map(|b| b.as_ref().map_or(vec![], |b| map_lines(b, g_first)))
            .collect())
    }

    /// Traces every facet's lines in parallel while this thread asks `stop` every 20 ms: a
    /// signal ends the tracing within a continuation step ([`DrawingStopped`]), however long
    /// the theory takes (minutes for some parameters).
    fn trace_until_stopped(
        &self,
        g: (f64, f64),
        eta: (f64, f64),
    ) -> anyhow::Result<Vec<Result<Boundaries, crate::theory::boundaries::BoundaryError>>> {
        use std::sync::atomic::{AtomicBool, Ordering};
        let cancel = AtomicBool::new(false);
        let facets = &self.facets;
        let traced = std::thread::scope(|s| {
            let worker = s.spawn(|| {
                facets
                    .par_iter()
                    .map(|f| {
                        let stopped = || cancel.load(Ordering::Relaxed);
                        Region::new(g, eta).and_then(|r| {
                            boundaries_for_until(
                                &f.def.base,
                                &r,
                                f.def.classifier.regular_max_cv,
                                &stopped,
                            )
                        })
                    })
                    .collect::<Vec<_>>()
            });
            while !worker.is_finished() {
                if !cancel.load(Ordering::Relaxed) && (self.stop)() {
                    cancel.store(true, Ordering::Relaxed);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        if cancel.load(Ordering::Relaxed) {
            return Err(DrawingStopped {
                drawn: self.out.files.len(),
                folder: self.layout.root.display().to_string(),
            }
            .into());
        }
        Ok(traced)
    }

    /// ` (facet D_ms=2)` for notes about facet `k` of a faceted sweep, else nothing.
    fn facet_note(&self, k: usize) -> String {
        if self.def.facets.is_empty() {
            String::new()
        } else {
            format!(" (facet {})", self.def.facet_label(k))
        }
    }

    /// `theory_lines.parquet`: the lines of every traced facet, a failure to write a note.
    fn write_lines(&mut self, traced: &[Option<Boundaries>]) {
        let Some(region) = traced.iter().flatten().next().map(|b| b.region.clone()) else {
            return;
        };
        let path = self.layout.root.join("theory_lines.parquet");
        let prov = super::runner::provenance_json(
            self.def,
            serde_json::json!({ "theory_lines_region": region }),
        );
        let facets: Vec<(Vec<(String, f64)>, &Boundaries)> = traced
            .iter()
            .enumerate()
            .filter_map(|(k, b)| Some((self.def.facet_values(k), b.as_ref()?)))
            .collect();
        if let Err(e) = crate::store::boundaries::write_faceted(&path, &facets, &prov) {
            self.out.notes.push(format!(
                "theory's lines not written to {}: {e}",
                path.display()
            ));
        }
    }

    /// One-axis sweeps: mean ± sd over replicates of each column.
    fn curves(&mut self) -> anyhow::Result<()> {
        let xa = &self.def.axes[0];
        for col in &self.def.plots.heatmaps {
            self.check_stop()?;
            if !self.has_column(col) {
                continue;
            }
            let pts: Vec<(f64, Vec<f64>)> = xa
                .values
                .iter()
                .map(|&x| {
                    let at_x = self
                        .rows
                        .iter()
                        .filter(|r| f64_of(r, &xa.param).is_some_and(|v| same_value(v, x)));
                    (x, at_x.filter_map(|r| f64_of(r, col)).collect())
                })
                .collect();
            let path = self.dir.join(format!("curve_{col}.png"));
            let label = column_label(col);
            let title = format!("{}: {label} (mean ± sd over replicates)", self.def.name);
            write_by_path(&path, |p| curve(&pts, &xa.param, &label, p, &title))?;
            self.out.files.push(path);
        }
        Ok(())
    }

    /// Raster and Fig.-8-style figures of every kept spike train.
    fn kept_spikes(&mut self) -> anyhow::Result<()> {
        let Ok(entries) = std::fs::read_dir(self.layout.spikes()) else {
            return Ok(());
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
            .collect();
        files.sort();
        for f in files {
            self.check_stop()?;
            match read_spikes(&f) {
                Ok(rec) => {
                    if let Err(e) = self.spike_figures(&f, &rec) {
                        self.out
                            .notes
                            .push(format!("figure of kept spikes skipped: {e}"));
                    }
                }
                Err(e) => self.out.notes.push(format!("kept spikes skipped: {e}")),
            }
        }
        Ok(())
    }

    fn spike_figures(
        &mut self,
        file: &std::path::Path,
        rec: &crate::record::Recording,
    ) -> anyhow::Result<()> {
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let point = stem.split('-').nth(1).and_then(|s| s.parse::<usize>().ok());
        let what = match point {
            Some(p) if p < self.def.n_points() => self.def.describe(p),
            _ => stem.clone(),
        };
        let dur = rec.n_steps as f64 * rec.dt_ms;
        let title = format!("{} — {what}", self.def.name);
        let path = self.dir.join(format!("raster_{stem}.png"));
        write_by_path(&path, |p| raster(rec, p, &title, 0.0, dur, 200))?;
        self.out.files.push(path);
        if self.def.model.fig8 {
            let (a, b) = self
                .def
                .plots
                .fig8_window_ms
                .map(|[a, b]| (a.min(dur), b.min(dur)))
                .unwrap_or(((dur - 200.0).max(0.0), dur));
            let path = self.dir.join(format!("fig8_{stem}.png"));
            write_by_path(&path, |p| fig8(rec, p, &title, a, b, 50))?;
            self.out.files.push(path);
        }
        Ok(())
    }
}

/// One figure file: its facets, panel titles, layout and title suffix.
struct Page {
    path: PathBuf,
    title: String,
    facets: Vec<usize>,
    captions: Vec<String>,
    layout: PanelLayout,
}

/// The regime map of facet `f`, with its mean-field rates `theory` and lines.
fn facet_map<'a>(f: &'a Facet, theory: Option<&'a Grid>, lines: Vec<MapLine>) -> RegimeMap<'a> {
    let (xa, ya) = (&f.def.axes[0], &f.def.axes[1]);
    RegimeMap {
        regimes: f.filled(label_grid(&f.def, &f.rows, "regime")),
        xs: &xa.values,
        ys: &ya.values,
        x_name: &xa.param,
        y_name: &ya.param,
        theory,
        theory_regimes: Some(theory_grid(&f.def, &f.rows))
            .filter(|g| g.iter().flatten().any(|c| c.is_some())),
        lines,
        leaves: f.def.refine.as_ref().map(|r| {
            refine::leaf_cells(r, run_points(&f.rows))
                .into_iter()
                .map(|c| (c.i, c.j, c.s))
                .collect()
        }),
    }
}

/// The lines of `b` in the map's axes (x, y): (g, eta) or (eta, g).
fn map_lines(b: &Boundaries, g_first: bool) -> Vec<MapLine> {
    b.lines
        .iter()
        .map(|l| MapLine {
            name: l.name.clone(),
            points: l
                .points
                .iter()
                .map(|p| if g_first { (p.g, p.eta) } else { (p.eta, p.g) })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "name = \"t\"\nmodel = \"brunel\"\nseed = 3\n[fixed]\nN_E = 400\nN_I = 100\n[[axis]]\nparam = \"g\"\nvalues = [4, 5]\n[[axis]]\nparam = \"eta\"\nvalues = [1, 2]\n";

    fn groups(extra: &str) -> Vec<FigureGroup> {
        figure_groups(&SweepDef::parse(&format!("{BASE}{extra}"), "t.toml").unwrap())
    }

    #[test]
    fn one_figure_per_combination_beyond_two_facet_axes() {
        let plain = groups("");
        assert_eq!(plain.len(), 1);
        assert_eq!((plain[0].facets.clone(), plain[0].grid), (vec![0], None));
        assert_eq!(plain[0].suffix, "");
        let one = groups("[[axis]]\nparam = \"D_ms\"\nvalues = [1.5, 2, 3]\n");
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].captions, ["D_ms=1.5", "D_ms=2", "D_ms=3"]);
        let two = groups("[[axis]]\nparam = \"D_ms\"\nvalues = [1.5, 3]\n[[axis]]\nparam = \"J\"\nvalues = [0.1, 0.2, 0.3]\n");
        assert_eq!((two.len(), two[0].grid), (1, Some((2, 3))));
        assert_eq!(two[0].captions[4], "D_ms=3, J=0.2");
        let three = groups("[[axis]]\nparams = [\"N_E\", \"N_I\"]\nvalues = [[400, 100], [800, 200]]\n[[axis]]\nparam = \"D_ms\"\nvalues = [1.5, 3]\n[[axis]]\nparam = \"J\"\nvalues = [0.1, 0.2, 0.3]\n");
        assert_eq!(three.len(), 2);
        assert_eq!(three[1].suffix, "_N_E=800_N_I=200");
        assert_eq!(three[1].title, " — N_E=800, N_I=200");
        assert_eq!(three[1].facets, (6..12).collect::<Vec<_>>());
        assert_eq!(three[1].captions[0], "D_ms=1.5, J=0.1");
    }
}
