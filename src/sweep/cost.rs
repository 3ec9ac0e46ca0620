//! Predicted cost of each run, so the expensive runs start first (longest-processing-time
//! first): at the end of a sweep the last runs are then short ones and no core idles behind
//! one long synchronous-regular run. Order never changes results: seeds depend on the point
//! and replicate only.

use super::definition::SweepDef;
use crate::model::PopulationKind;
use rayon::prelude::*;

/// Neuron updates per second of one core (the engine's `brunel bench`, 2026-11).
const NEURON_STEPS_PER_S: f64 = 1.4e8;
/// Recurrent synaptic events per second of one core (same source).
const EVENTS_PER_S: f64 = 6.6e8;

/// Predicted seconds of a run of each of `points` (replicates cost the same): neuron updates
/// plus synaptic events at the rate the mean field predicts (the highest stable stationary
/// rate: the expensive branch where several exist), or 10 Hz for models without a theory.
pub fn predicted_run_s(def: &SweepDef, points: &[usize]) -> Vec<f64> {
    points.par_iter().map(|&p| point_cost_s(def, p)).collect()
}

fn point_cost_s(def: &SweepDef, p: usize) -> f64 {
    let params = def.params_at(p);
    let Ok(spec) = def.model.spec(&params) else {
        return 0.0;
    };
    let lif: f64 = spec
        .populations
        .iter()
        .filter(|q| matches!(q.kind, PopulationKind::Lif(_)))
        .map(|q| q.size as f64)
        .sum();
    let steps = spec.duration_ms / spec.dt_ms;
    let mf = def.model.mean_field.map(|f| f(&params));
    let rate_hz = mf.as_ref().map(highest_stable_rate_hz).unwrap_or(10.0);
    // Near saturation the network fires in synchronous bursts that the engine counts from
    // the previous burst (engine/counting.rs) instead of scattering every event.
    let event_share = match &mf {
        Some(m) if m.tau_rp_ms > 0.0 && rate_hz >= 0.5 * 1000.0 / m.tau_rp_ms => {
            SYNCHRONOUS_EVENT_SHARE
        }
        _ => 1.0,
    };
    // Recurrent synapses (those of Poisson sources are counted in the neuron updates: the
    // drive is drawn per neuron).
    let synapses: f64 = spec
        .projections
        .iter()
        .filter(|pr| {
            spec.population_index(&pr.source)
                .is_some_and(|i| matches!(spec.populations[i].kind, PopulationKind::Lif(_)))
        })
        .map(|pr| spec.projection_synapses(pr))
        .sum();
    let events = rate_hz * spec.duration_ms * 1e-3 * synapses;
    steps * lif / NEURON_STEPS_PER_S + event_share * events / EVENTS_PER_S
}

/// The share of a synchronous-regular run's synaptic events that still costs a scatter:
/// (3, 2) at full scale, 5.2 G events per simulated second, runs in ~1 s like (5, 2) with
/// 0.6 G (`brunel bench --set g=3 --set eta=2`, 2026-11-28).
const SYNCHRONOUS_EVENT_SHARE: f64 = 0.05;

/// The highest rate where Φ(ν) − ν crosses from + to − on a coarse log grid (60 points from
/// 1 mHz to the refractory limit): a rough stable stationary rate, enough to rank costs.
fn highest_stable_rate_hz(mf: &crate::theory::MeanFieldParams) -> f64 {
    let nu_max = if mf.tau_rp_ms > 0.0 {
        1000.0 / mf.tau_rp_ms
    } else {
        5000.0
    };
    let (lo, hi) = (1e-3f64.ln(), (0.999 * nu_max).ln());
    let grid: Vec<f64> = (0..60)
        .map(|k| (lo + (hi - lo) * k as f64 / 59.0).exp())
        .collect();
    let f: Vec<f64> = grid.iter().map(|&nu| mf.transfer_hz(nu) - nu).collect();
    (0..grid.len() - 1)
        .rev()
        .find(|&k| f[k] > 0.0 && f[k + 1] <= 0.0)
        .map_or(0.0, |k| grid[k])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_follow_rate_and_synchrony() {
        let text = "name = \"c\"\nmodel = \"brunel\"\nseed = 1\n[[axis]]\nparam = \"g\"\nvalues = [3, 5, 6]\n[[axis]]\nparam = \"eta\"\nvalues = [0.5, 2]\n";
        let def = SweepDef::parse(text, "c.toml").unwrap();
        let cost = predicted_run_s(&def, &(0..def.n_points()).collect::<Vec<_>>());
        // Points: (3, 0.5) (3, 2) (5, 0.5) (5, 2) (6, 0.5) (6, 2).
        let sr = cost[1];
        assert!(
            cost[3] > cost[2],
            "AI (5, 2) costs more than quiescent (5, 0.5): {cost:?}"
        );
        assert!(
            cost[3] > cost[5],
            "(5, 2) fires faster than (6, 2): {cost:?}"
        );
        // The full network simulates 1 s at (3, 2) and at (5, 2) in ~1 s each on this
        // machine (the SR bursts are counted, not scattered), (5, 0.5) in ~0.5 s.
        assert!((0.5..2.0).contains(&(sr / cost[3])), "{cost:?}");
    }
}
