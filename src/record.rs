//! What a run produced — spike trains per population and sampled membrane potentials — as
//! the one vocabulary that the engine writes and analysis, store and plot read. It knows
//! nothing of who made a record: a simulation, or a file read back from disk.

/// Spikes of one LIF population: parallel vectors of time stamp (in steps; time = step·dt)
/// and local neuron index, in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PopulationSpikes {
    pub name: String,
    pub size: usize,
    pub steps: Vec<u32>,
    pub neurons: Vec<u32>,
}

/// Spike data that break a [`PopulationSpikes`] invariant.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpikesError {
    #[error("population `{population}`: {steps} time stamps but {neurons} neuron indices")]
    Lengths {
        population: String,
        steps: usize,
        neurons: usize,
    },
    #[error("population `{population}`: spike {index} is out of time order")]
    Order { population: String, index: usize },
    #[error("population `{population}`: neuron {neuron} of spike {index} is not below the population size {size}")]
    Neuron {
        population: String,
        index: usize,
        neuron: u32,
        size: usize,
    },
}

impl PopulationSpikes {
    /// Spikes of a population, checked: equal lengths, time order, every neuron below `size`.
    pub fn try_new(
        name: &str,
        size: usize,
        steps: Vec<u32>,
        neurons: Vec<u32>,
    ) -> Result<PopulationSpikes, SpikesError> {
        if steps.len() != neurons.len() {
            return Err(SpikesError::Lengths {
                population: name.into(),
                steps: steps.len(),
                neurons: neurons.len(),
            });
        }
        if let Some(i) = steps.windows(2).position(|w| w[1] < w[0]) {
            return Err(SpikesError::Order {
                population: name.into(),
                index: i + 1,
            });
        }
        if let Some((index, &neuron)) = neurons
            .iter()
            .enumerate()
            .find(|(_, &j)| j as usize >= size)
        {
            return Err(SpikesError::Neuron {
                population: name.into(),
                index,
                neuron,
                size,
            });
        }
        Ok(PopulationSpikes {
            name: name.into(),
            size,
            steps,
            neurons,
        })
    }
}

/// Sampled membrane potentials: `samples[t·n + i]` is neuron `neurons[i]` (local index) at
/// time `(t+1)·every_steps·dt`.
#[derive(Debug, Clone, PartialEq)]
pub struct VoltageTrace {
    pub population: String,
    pub neurons: Vec<u32>,
    pub every_steps: usize,
    pub samples: Vec<f32>,
}

impl VoltageTrace {
    /// Number of time samples.
    pub fn n_samples(&self) -> usize {
        if self.neurons.is_empty() {
            0
        } else {
            self.samples.len() / self.neurons.len()
        }
    }
}

/// Everything a run recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    pub dt_ms: f64,
    pub n_steps: usize,
    pub spikes: Vec<PopulationSpikes>,
    pub voltages: Vec<VoltageTrace>,
}

impl Recording {
    /// The spikes of a population by name.
    pub fn population(&self, name: &str) -> Option<&PopulationSpikes> {
        self.spikes.iter().find(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spikes_are_checked_on_construction() {
        assert!(PopulationSpikes::try_new("E", 3, vec![1, 1, 4], vec![0, 2, 1]).is_ok());
        let e = PopulationSpikes::try_new("E", 3, vec![1, 2], vec![0]).unwrap_err();
        assert!(matches!(e, SpikesError::Lengths { .. }));
        let e = PopulationSpikes::try_new("E", 3, vec![2, 1], vec![0, 0]).unwrap_err();
        assert_eq!(
            e,
            SpikesError::Order {
                population: "E".into(),
                index: 1
            }
        );
        let e = PopulationSpikes::try_new("E", 3, vec![1], vec![3]).unwrap_err();
        assert!(
            e.to_string().contains("not below the population size 3"),
            "{e}"
        );
    }
}
