//! Models: presets with named scalar parameters that turn into a [`NetworkSpec`].
//!
//! `tutorial` is the seed's balanced random network (Brian2 task) with its extension;
//! `brunel` is Brunel (2000) model A. `--set name=value` overrides any parameter. A [`Model`]
//! also says what else it offers (mean-field inputs, Brunel's Fig. 8), so callers never
//! branch on its name: a new model is one file here and one line in [`MODELS`].

pub mod brunel;
pub mod params;
pub mod spec;
pub mod tutorial;

pub use params::{same_value, ParamDef, ParamError, ParamSet, Range};
pub use spec::*;

/// A model preset: its parameter table and how parameters become a network.
#[derive(Debug, Clone, Copy)]
pub struct Model {
    pub name: &'static str,
    /// One line for `brunel models`.
    pub summary: &'static str,
    pub params: &'static [ParamDef],
    /// Parameters always named in figure titles, overridden or not (e.g. g and eta).
    pub headline: &'static [&'static str],
    /// Builds the network description; errors for combinations the ranges cannot rule out.
    pub build: fn(&ParamSet) -> Result<NetworkSpec, ParamError>,
    /// Whether runs get Brunel's Fig.-8 figure (a raster of 50 neurons above the population
    /// rate): meaningful for the large E/I networks whose regimes it shows.
    pub fig8: bool,
    /// The inputs of the diffusion mean field for a parameter set, for models the theory
    /// covers (delta synapses, fixed in-degree, Poisson drive: Brunel's model A); None for
    /// the others, whose rows then carry no prediction.
    pub mean_field: Option<fn(&ParamSet) -> MeanFieldInputs>,
}

/// What the diffusion mean-field theory of Brunel (2000) needs of a network: in-degrees,
/// weights, drive and neuron constants. Models provide it, `theory` computes with it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MeanFieldInputs {
    /// Excitatory and inhibitory in-degrees.
    pub c_e: f64,
    pub c_i: f64,
    /// Excitatory PSP (mV); inhibitory ones are −g·J.
    pub j_mv: f64,
    pub g: f64,
    /// External rate per input synapse (Hz); the drive is C_E inputs at this rate.
    pub nu_ext_hz: f64,
    pub tau_m_ms: f64,
    pub theta_mv: f64,
    pub v_r_mv: f64,
    pub tau_rp_ms: f64,
    /// Transmission delay (ms): it sets the oscillation frequencies of the linear stability.
    pub d_ms: f64,
}

impl Model {
    /// The model's defaults.
    pub fn defaults(&self) -> ParamSet {
        ParamSet::defaults(self.name, self.params)
    }

    /// Defaults with `name=value` assignments applied in order.
    pub fn with_assignments<S: AsRef<str>>(&self, sets: &[S]) -> Result<ParamSet, ParamError> {
        let mut p = self.defaults();
        for s in sets {
            p.apply_assignment(s.as_ref())?;
        }
        Ok(p)
    }

    /// `name=value` for the headline parameters and every other override, for titles.
    pub fn describe(&self, params: &ParamSet) -> String {
        let mut parts: Vec<String> = self
            .headline
            .iter()
            .map(|n| format!("{n}={}", params.get(n)))
            .collect();
        for o in params.overrides() {
            if !self
                .headline
                .iter()
                .any(|n| o.starts_with(&format!("{n}=")))
            {
                parts.push(o);
            }
        }
        if parts.is_empty() {
            "defaults".into()
        } else {
            parts.join(", ")
        }
    }

    /// The network for a parameter set of this model.
    pub fn spec(&self, params: &ParamSet) -> Result<NetworkSpec, ParamError> {
        (self.build)(params)
    }
}

/// Every model the program knows, in the order `brunel models` lists them.
pub const MODELS: &[Model] = &[tutorial::MODEL, brunel::MODEL];

/// An unknown model name.
#[derive(Debug, thiserror::Error)]
#[error("unknown model `{name}`; known models: {}", MODELS.iter().map(|m| m.name).collect::<Vec<_>>().join(", "))]
pub struct UnknownModel {
    pub name: String,
}

/// Looks a model up by name.
pub fn find(name: &str) -> Result<&'static Model, UnknownModel> {
    MODELS
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| UnknownModel {
            name: name.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_builds_a_valid_spec_from_defaults() {
        for m in MODELS {
            let spec = m.spec(&m.defaults()).unwrap();
            spec.validate().unwrap();
            for d in m.params {
                assert!(
                    d.range.contains(d.default),
                    "{}: default of {} outside its range",
                    m.name,
                    d.name
                );
                assert!(!d.meaning.is_empty());
            }
        }
    }

    #[test]
    fn unknown_model_lists_known_ones() {
        let e = find("nope").unwrap_err().to_string();
        assert!(e.contains("tutorial") && e.contains("brunel"));
    }
}
