//! Facets: every `[[axis]]` after the map's x and y. A sweep over g × eta × D_ms runs one
//! g × eta map per delay; a grouped axis (`params = ["N_E", "N_I", "epsilon"]`,
//! `values = [[10000, 2500, 0.1], [40000, 10000, 0.025]]`) varies several parameters together.
//!
//! Points are numbered facet by facet: point p lies in facet `p / n_map` at map point
//! `p % n_map` (the map's own numbering, second axis fastest), and the facets are the
//! cartesian product of the facet axes, the last varying fastest. A two-axis sweep has one
//! facet, so its numbering is unchanged. Seeds of a faceted sweep always derive from every
//! coordinate ([`crate::rng::coordinate_seed`]), so adding a value to a facet axis changes no
//! other facet's runs. Reports and figures see each facet as a two-axis sweep of its own
//! ([`SweepDef::facet_def`], [`SweepDef::facet_rows`]).

use super::definition::{
    first_repeat, out_of_range, same_point, Cx, DefinitionError, RawAxis, Span, SweepDef,
    MAX_AXIS_VALUES,
};
use super::row::{Row, Value};
use crate::model::ParamSet;
use toml::Spanned;

/// One facet axis: one or more parameters (grouped) and their values, `values[k][j]` being
/// parameter `params[j]` at step k.
#[derive(Debug, Clone, PartialEq)]
pub struct FacetAxis {
    pub params: Vec<String>,
    pub values: Vec<Vec<f64>>,
}

impl FacetAxis {
    /// Steps of this axis.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Always false: an axis has at least one value (checked when parsed).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `D_ms=2`, or `N_E=10000, N_I=2500, epsilon=0.1` for a grouped axis, at step k.
    pub fn label(&self, k: usize) -> String {
        self.params
            .iter()
            .zip(&self.values[k])
            .map(|(p, v)| format!("{p}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The axis's name in titles: `D_ms`, or `N_E/N_I/epsilon`.
    pub fn name(&self) -> String {
        self.params.join("/")
    }
}

/// The step of every facet axis of facet `f` (the last axis fastest).
pub fn facet_steps(facets: &[FacetAxis], f: usize) -> Vec<usize> {
    let mut rest = f;
    let mut steps = vec![0; facets.len()];
    for (k, a) in facets.iter().enumerate().rev() {
        steps[k] = rest % a.len();
        rest /= a.len();
    }
    steps
}

/// Number of facets: the product of the facet axes' lengths (1 without facets), as f64 so a
/// huge product is compared before it can overflow.
pub fn facet_count(facets: &[FacetAxis]) -> f64 {
    facets.iter().map(|a| a.len() as f64).product()
}

impl SweepDef {
    /// Number of facets (1 for a sweep of at most two axes).
    pub fn n_facets(&self) -> usize {
        self.facets.iter().map(FacetAxis::len).product()
    }

    /// Points of one facet's map (a refining sweep's: of its whole lattice).
    pub fn n_map_points(&self) -> usize {
        if self.is_grid {
            self.axes.iter().map(|a| a.values.len()).product()
        } else {
            self.list.len()
        }
    }

    /// (facet, map point) of point `p`.
    pub fn split_point(&self, p: usize) -> (usize, usize) {
        let n = self.n_map_points().max(1);
        (p / n, p % n)
    }

    /// Every (parameter, value) that facet `f` fixes, in axis order.
    pub fn facet_values(&self, f: usize) -> Vec<(String, f64)> {
        facet_steps(&self.facets, f)
            .into_iter()
            .zip(&self.facets)
            .flat_map(|(k, a)| a.params.iter().cloned().zip(a.values[k].iter().copied()))
            .collect()
    }

    /// `D_ms=2, N_E=10000, …` for facet `f`; empty without facets.
    pub fn facet_label(&self, f: usize) -> String {
        facet_steps(&self.facets, f)
            .into_iter()
            .zip(&self.facets)
            .map(|(k, a)| a.label(k))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `3 facets: D_ms = 1.5, 2, 3`, or `6 facets: D_ms (3 values) × N_E/N_I (2 steps)`, for
    /// the start line of a sweep; None without facets.
    pub fn facets_summary(&self) -> Option<String> {
        let n = self.n_facets();
        match &self.facets[..] {
            [] => None,
            [a] if a.params.len() == 1 && a.len() <= 8 => {
                let v: Vec<String> = a.values.iter().map(|v| format!("{}", v[0])).collect();
                Some(format!("{n} facets: {} = {}", a.name(), v.join(", ")))
            }
            axes => Some(format!(
                "{n} facets: {}",
                axes.iter()
                    .map(|a| format!("{} ({} values)", a.name(), a.len()))
                    .collect::<Vec<_>>()
                    .join(" × ")
            )),
        }
    }

    /// Facet `f` as a two-axis sweep of its own, for reports and figures: no facet axes, the
    /// facet's values fixed in `base` (so the theory's lines are traced for them). Not for
    /// running: its seeds would not be the faceted sweep's.
    pub fn facet_def(&self, f: usize) -> SweepDef {
        let mut d = self.clone();
        for (name, v) in self.facet_values(f) {
            d.base.set(&name, v).expect("facet values validated");
        }
        d.facets = vec![];
        d
    }

    /// The rows of facet `f`, renumbered to its map's points (what [`SweepDef::facet_def`]
    /// reads); without facets, the rows as they are.
    pub fn facet_rows(&self, f: usize, rows: &[Row]) -> Vec<Row> {
        if self.facets.is_empty() {
            return rows.to_vec();
        }
        rows.iter()
            .filter_map(|r| {
                let (p, _) = r.key()?;
                let (rf, local) = self.split_point(p as usize);
                (rf == f).then(|| {
                    let mut r = r.clone();
                    if let Some(c) = r.cells.iter_mut().find(|(n, _)| n == "point") {
                        c.1 = Value::U32(local as u32);
                    }
                    r
                })
            })
            .collect()
    }
}

impl Cx<'_> {
    /// Facet axis `i` (the third `[[axis]]` or later): one `param` with `values`, `linspace`
    /// or `arange`, or grouped `params` with one list of values per step; every value in its
    /// parameter's range, every step distinct.
    pub(super) fn facet_axis(
        &self,
        i: usize,
        a: &Spanned<RawAxis>,
        base: &ParamSet,
    ) -> Result<FacetAxis, DefinitionError> {
        let (ax, span) = (a.get_ref(), a.span());
        let (params, values) = match (&ax.param, &ax.params) {
            (Some(_), Some(_)) => {
                return Err(self.err(
                    span,
                    &format!("axis[{i}]"),
                    "both `param` and `params`: expected `param` for one parameter or `params` for a group".into(),
                ))
            }
            (Some(p), None) => {
                let param = p.get_ref().clone();
                let field = format!("axis[{i}] ({param})");
                let vals = self.axis_values(span.clone(), ax, &field)?;
                (vec![param], vals.into_iter().map(|v| vec![v]).collect())
            }
            (None, Some(ps)) => (ps.clone(), self.grouped(i, span.clone(), ax, ps)?),
            (None, None) => {
                return Err(self.err(
                    span,
                    &format!("axis[{i}]"),
                    "expected `param = \"NAME\"` or grouped `params = [\"A\", \"B\"]`".into(),
                ))
            }
        };
        let field = format!("axis[{i}] ({})", params.join(", "));
        for (j, p) in params.iter().enumerate() {
            let def = base
                .def(p)
                .map_err(|e| self.err(span.clone(), &field, e.to_string()))?;
            if let Some(v) = values
                .iter()
                .map(|row| row[j])
                .find(|&v| def.check(v).is_err())
            {
                return Err(self.err(span.clone(), &field, out_of_range(v, def)));
            }
        }
        if let Some(k) = first_repeated_step(&values) {
            return Err(self.err(
                span,
                &field,
                format!(
                    "step {k} ({:?}) appears twice: expected distinct values",
                    values[k]
                ),
            ));
        }
        Ok(FacetAxis { params, values })
    }

    /// The values of a grouped axis: `values = [[a1, b1], [a2, b2], …]`, one number per
    /// parameter in each step.
    fn grouped(
        &self,
        i: usize,
        span: Span,
        ax: &RawAxis,
        params: &[String],
    ) -> Result<Vec<Vec<f64>>, DefinitionError> {
        let field = format!("axis[{i}] ({})", params.join(", "));
        if params.is_empty() {
            return Err(self.err(
                span,
                &field,
                "params = []: expected at least one parameter".into(),
            ));
        }
        if let Some(p) = params
            .iter()
            .enumerate()
            .find(|(k, p)| params[..*k].contains(p))
        {
            return Err(self.err(
                span,
                &field,
                format!(
                    "`{}` is listed twice in params: expected each parameter once",
                    p.1
                ),
            ));
        }
        if ax.linspace.is_some() || ax.arange.is_some() {
            return Err(self.err(span, &field, "a grouped axis takes `values = [[...], ...]` (one list per step, one number per parameter), not linspace or arange".into()));
        }
        let Some(toml::Value::Array(steps)) = &ax.values else {
            return Err(self.err(
                span,
                &format!("{field}.values"),
                format!(
                    "expected `values = [[...], ...]`: one list of {} numbers ({}) per step",
                    params.len(),
                    params.join(", ")
                ),
            ));
        };
        if steps.is_empty() {
            return Err(self.err(
                span,
                &field,
                "the axis has no values: expected at least one".into(),
            ));
        }
        if steps.len() > MAX_AXIS_VALUES {
            return Err(self.err(
                span,
                &field,
                format!("{} steps: expected at most {MAX_AXIS_VALUES}", steps.len()),
            ));
        }
        steps
            .iter()
            .enumerate()
            .map(|(k, step)| {
                self.grouped_step(span.clone(), &format!("{field}.values[{k}]"), step, params)
            })
            .collect()
    }

    /// Step `at` of a grouped axis: a list of one number per parameter.
    fn grouped_step(
        &self,
        span: Span,
        at: &str,
        step: &toml::Value,
        params: &[String],
    ) -> Result<Vec<f64>, DefinitionError> {
        let toml::Value::Array(nums) = step else {
            return Err(self.err(
                span,
                at,
                format!(
                    "{step}: expected a list of {} numbers ({})",
                    params.len(),
                    params.join(", ")
                ),
            ));
        };
        if nums.len() != params.len() {
            return Err(self.err(
                span,
                at,
                format!(
                    "{} numbers: expected {}, one per parameter of params = [{}]",
                    nums.len(),
                    params.len(),
                    params.join(", ")
                ),
            ));
        }
        nums.iter()
            .map(|v| {
                number(v)
                    .ok_or_else(|| self.err(span.clone(), at, format!("{v}: expected a number")))
            })
            .collect()
    }

    /// `values = [...]` of a one-parameter axis: numbers only.
    pub(super) fn flat_values(
        &self,
        span: Span,
        v: &toml::Value,
        field: &str,
    ) -> Result<Vec<f64>, DefinitionError> {
        let toml::Value::Array(items) = v else {
            return Err(self.err(
                span,
                &format!("{field}.values"),
                format!("{v}: expected a list of numbers"),
            ));
        };
        items
            .iter()
            .enumerate()
            .map(|(k, x)| {
                number(x).ok_or_else(|| {
                    let hint = if matches!(x, toml::Value::Array(_)) {
                        " (lists of numbers are for grouped parameters: `params = [...]` on a third or later axis)"
                    } else {
                        ""
                    };
                    self.err(span.clone(), &format!("{field}.values[{k}]"), format!("{x}: expected a number{hint}"))
                })
            })
            .collect()
    }
}

/// A TOML number as f64 (integers too).
fn number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Float(f) => Some(*f),
        toml::Value::Integer(n) => Some(*n as f64),
        _ => None,
    }
}

/// The first step of a facet axis equal (within [`same_point`]) to another, if any; sorting
/// first, so a million steps cost n log n.
fn first_repeated_step(values: &[Vec<f64>]) -> Option<usize> {
    if values.first().is_some_and(|v| v.len() == 1) {
        let flat: Vec<f64> = values.iter().map(|v| v[0]).collect();
        let v = first_repeat(&flat)?;
        return flat.iter().position(|&x| crate::model::same_value(x, v));
    }
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        values[a]
            .iter()
            .zip(&values[b])
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    order
        .windows(2)
        .find(|w| same_point(&values[w[0]], &values[w[1]]))
        .map(|w| w[0].max(w[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREE: &str = r#"
name = "t"
model = "brunel"
seed = 3
[fixed]
N_E = 400
N_I = 100
[[axis]]
param = "g"
values = [4, 5]
[[axis]]
param = "eta"
values = [1, 2, 3]
[[axis]]
param = "D_ms"
values = [1.5, 3]
[[axis]]
params = ["N_E", "N_I"]
values = [[400, 100], [800, 200]]
"#;

    #[test]
    fn facets_number_points_facet_by_facet_and_fix_their_values() {
        let d = SweepDef::parse(THREE, "t.toml").unwrap();
        assert_eq!((d.n_facets(), d.n_map_points(), d.n_points()), (4, 6, 24));
        // Facet 3 = (D_ms = 3, N_E = 800): the last facet axis varies fastest.
        assert_eq!(d.facet_label(1), "D_ms=1.5, N_E=800, N_I=200");
        assert_eq!(d.facet_label(3), "D_ms=3, N_E=800, N_I=200");
        assert_eq!(d.split_point(20), (3, 2));
        let p = d.params_at(20);
        assert_eq!(
            (
                p.get("g"),
                p.get("eta"),
                p.get("D_ms"),
                p.get("N_E"),
                p.get("N_I")
            ),
            (4.0, 3.0, 3.0, 800.0, 200.0)
        );
        let view = d.facet_def(3);
        assert!(view.facets.is_empty());
        assert_eq!((view.n_points(), view.base.get("D_ms")), (6, 3.0));
        assert_eq!(d.describe(20), "g=4, eta=3, D_ms=3, N_E=800, N_I=200");
        assert_eq!(
            d.facets_summary().unwrap(),
            "4 facets: D_ms (2 values) × N_E/N_I (2 values)"
        );
        let one = SweepDef::parse(
            &THREE.replace(
                "[[axis]]\nparams = [\"N_E\", \"N_I\"]\nvalues = [[400, 100], [800, 200]]\n",
                "",
            ),
            "t.toml",
        )
        .unwrap();
        assert_eq!(one.facets_summary().unwrap(), "2 facets: D_ms = 1.5, 3");
    }

    #[test]
    fn seeds_depend_on_every_coordinate_and_not_on_the_other_facets() {
        let d = SweepDef::parse(THREE, "t.toml").unwrap();
        let more = SweepDef::parse(&THREE.replace("[1.5, 3]", "[1.5, 3, 4]"), "t.toml").unwrap();
        // Same values, same seed, whatever the facet's number in either definition.
        for p in 0..d.n_points() {
            let q = (0..more.n_points())
                .find(|&q| more.describe(q) == d.describe(p))
                .unwrap();
            assert_eq!(d.run_seed(p, 1), more.run_seed(q, 1));
        }
        assert_ne!(d.run_seed(0, 0), d.run_seed(6, 0));
    }
}
