//! Named scalar parameters: every knob of a model has a name, a default, a unit, an allowed
//! range and a meaning, so `--set name=value` and sweep axes can reach any of them uniformly.

use std::collections::BTreeMap;
use std::fmt;

/// Allowed values of a parameter: an interval with open or closed ends, optionally integers only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub lo: f64,
    pub hi: f64,
    pub lo_open: bool,
    pub hi_open: bool,
    pub integer: bool,
}

impl Range {
    /// `[lo, hi]`.
    pub const fn closed(lo: f64, hi: f64) -> Self {
        Range {
            lo,
            hi,
            lo_open: false,
            hi_open: false,
            integer: false,
        }
    }
    /// `(lo, hi]`: strictly above `lo`.
    pub const fn above(lo: f64, hi: f64) -> Self {
        Range {
            lo,
            hi,
            lo_open: true,
            hi_open: false,
            integer: false,
        }
    }
    /// `[0, inf)`.
    pub const fn non_negative() -> Self {
        Range::closed(0.0, f64::INFINITY)
    }
    /// `(0, inf)`.
    pub const fn positive() -> Self {
        Range::above(0.0, f64::INFINITY)
    }
    /// Whole numbers in `[lo, hi]`.
    pub const fn count(lo: f64, hi: f64) -> Self {
        Range {
            lo,
            hi,
            lo_open: false,
            hi_open: false,
            integer: true,
        }
    }
    /// Any finite value.
    pub const fn any() -> Self {
        Range::closed(f64::NEG_INFINITY, f64::INFINITY)
    }

    /// Whether `v` lies in the range (NaN never does).
    pub fn contains(&self, v: f64) -> bool {
        if !v.is_finite() {
            return false;
        }
        let lo_ok = if self.lo_open {
            v > self.lo
        } else {
            v >= self.lo
        };
        let hi_ok = if self.hi_open {
            v < self.hi
        } else {
            v <= self.hi
        };
        lo_ok && hi_ok && (!self.integer || v.fract() == 0.0)
    }
}

fn fmt_bound(v: f64) -> String {
    if v == f64::INFINITY {
        "inf".into()
    } else if v == f64::NEG_INFINITY {
        "-inf".into()
    } else {
        format!("{v}")
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let open = if self.lo_open || self.lo == f64::NEG_INFINITY {
            "("
        } else {
            "["
        };
        let close = if self.hi_open || self.hi == f64::INFINITY {
            ")"
        } else {
            "]"
        };
        let kind = if self.integer { "integer in " } else { "" };
        write!(
            f,
            "{kind}{open}{}, {}{close}",
            fmt_bound(self.lo),
            fmt_bound(self.hi)
        )
    }
}

/// The definition of one named parameter of a model.
#[derive(Debug, Clone, Copy)]
pub struct ParamDef {
    pub name: &'static str,
    pub default: f64,
    pub unit: &'static str,
    pub range: Range,
    pub meaning: &'static str,
}

impl ParamDef {
    /// Checks a value against the parameter's range; the error says what is expected.
    pub fn check(&self, value: f64) -> Result<(), ParamError> {
        if self.range.contains(value) {
            return Ok(());
        }
        Err(ParamError::OutOfRange {
            name: self.name.to_string(),
            value,
            range: self.range.to_string(),
            unit: self.unit.to_string(),
            meaning: self.meaning.to_string(),
        })
    }
}

/// Whether two parameter values are the same grid point (within 1e-9 relative): the one rule
/// by which axis values, rows and figure cells are matched.
pub fn same_value(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// A bad parameter name or value, with everything a user needs to fix it.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ParamError {
    #[error("unknown parameter `{name}` for model `{model}`; known: {known}")]
    Unknown {
        name: String,
        model: String,
        known: String,
    },
    #[error("parameter `{name}`: cannot parse `{value}` as a number")]
    Unparsable { name: String, value: String },
    #[error("parameter `{name}` = {value} is out of range: expected {range} {unit} ({meaning})")]
    OutOfRange {
        name: String,
        value: f64,
        range: String,
        unit: String,
        meaning: String,
    },
    #[error("`{text}` is not an assignment: expected name=value")]
    NotAssignment { text: String },
    #[error("parameters {names}: {message}")]
    Inconsistent { names: String, message: String },
}

/// Values for every parameter of one model (defaults unless overridden), in definition order.
#[derive(Debug, Clone)]
pub struct ParamSet {
    model: &'static str,
    defs: &'static [ParamDef],
    values: Vec<f64>,
}

impl PartialEq for ParamSet {
    fn eq(&self, other: &Self) -> bool {
        self.model == other.model && self.values == other.values
    }
}

impl ParamSet {
    /// All defaults of a model's parameter table.
    pub fn defaults(model: &'static str, defs: &'static [ParamDef]) -> Self {
        ParamSet {
            model,
            defs,
            values: defs.iter().map(|d| d.default).collect(),
        }
    }

    /// The parameter definitions, in order.
    pub fn defs(&self) -> &'static [ParamDef] {
        self.defs
    }

    /// The model these parameters belong to.
    pub fn model(&self) -> &'static str {
        self.model
    }

    fn index(&self, name: &str) -> Result<usize, ParamError> {
        self.defs
            .iter()
            .position(|d| d.name == name)
            .ok_or_else(|| ParamError::Unknown {
                name: name.to_string(),
                model: self.model.to_string(),
                known: self
                    .defs
                    .iter()
                    .map(|d| d.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The definition of one parameter, or an error listing the known ones.
    pub fn def(&self, name: &str) -> Result<&'static ParamDef, ParamError> {
        Ok(&self.defs[self.index(name)?])
    }

    /// The current value of a parameter. Panics on an unknown name: presets only ask for
    /// names from their own table, which a unit test checks.
    pub fn get(&self, name: &str) -> f64 {
        match self.index(name) {
            Ok(i) => self.values[i],
            Err(e) => panic!("model bug: {e}"),
        }
    }

    /// Sets a parameter after checking its name and range.
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), ParamError> {
        let i = self.index(name)?;
        self.defs[i].check(value)?;
        self.values[i] = value;
        Ok(())
    }

    /// Applies one `name=value` assignment, as given to `--set`.
    pub fn apply_assignment(&mut self, text: &str) -> Result<(), ParamError> {
        let (name, value) = text
            .split_once('=')
            .ok_or_else(|| ParamError::NotAssignment {
                text: text.to_string(),
            })?;
        let name = name.trim();
        self.index(name)?;
        let value_text = value.trim();
        let value: f64 = value_text.parse().map_err(|_| ParamError::Unparsable {
            name: name.to_string(),
            value: value_text.to_string(),
        })?;
        self.set(name, value)
    }

    /// Every (name, value) pair in definition order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        self.defs
            .iter()
            .zip(&self.values)
            .map(|(d, v)| (d.name, *v))
    }

    /// The parameters whose value differs from the default, as `name=value` text.
    pub fn overrides(&self) -> Vec<String> {
        self.defs
            .iter()
            .zip(&self.values)
            .filter(|(d, v)| d.default != **v)
            .map(|(d, v)| format!("{}={}", d.name, v))
            .collect()
    }

    /// All values keyed by name, for provenance records.
    pub fn to_map(&self) -> BTreeMap<String, f64> {
        self.iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFS: &[ParamDef] = &[
        ParamDef {
            name: "p",
            default: 0.1,
            unit: "",
            range: Range::closed(0.0, 1.0),
            meaning: "probability",
        },
        ParamDef {
            name: "n",
            default: 10.0,
            unit: "",
            range: Range::count(1.0, 100.0),
            meaning: "count",
        },
        ParamDef {
            name: "dt_ms",
            default: 0.1,
            unit: "ms",
            range: Range::positive(),
            meaning: "step",
        },
    ];

    #[test]
    fn assignment_sets_value() {
        let mut p = ParamSet::defaults("m", DEFS);
        p.apply_assignment("p=0.5").unwrap();
        assert_eq!(p.get("p"), 0.5);
        assert_eq!(p.overrides(), vec!["p=0.5".to_string()]);
    }

    #[test]
    fn bad_assignments_name_the_problem() {
        let mut p = ParamSet::defaults("m", DEFS);
        let e = p.apply_assignment("q=1").unwrap_err();
        assert!(matches!(e, ParamError::Unknown { .. }));
        assert!(e.to_string().contains("`q`") && e.to_string().contains("dt_ms"));
        let e = p.apply_assignment("p=abc").unwrap_err();
        assert!(matches!(e, ParamError::Unparsable { .. }));
        let e = p.apply_assignment("p=1.5").unwrap_err();
        assert!(e.to_string().contains("[0, 1]"), "{e}");
        let e = p.apply_assignment("dt_ms=0").unwrap_err();
        assert!(e.to_string().contains("(0, inf)"), "{e}");
        let e = p.apply_assignment("n=2.5").unwrap_err();
        assert!(e.to_string().contains("integer"), "{e}");
        assert!(p.apply_assignment("p=nan").is_err());
        assert!(matches!(
            p.apply_assignment("p").unwrap_err(),
            ParamError::NotAssignment { .. }
        ));
        // Nothing changed by the failed attempts.
        assert_eq!(p, ParamSet::defaults("m", DEFS));
    }
}
