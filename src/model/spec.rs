//! `NetworkSpec`: a declarative description of a network (populations, projections,
//! connectors, weight and delay distributions) that knows nothing of how it is simulated.

/// How a synaptic input acts on a LIF neuron.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Synapse {
    /// A spike of weight w adds w (mV) to v at once (Brunel 2000; NEST `iaf_psc_delta`).
    /// Input arriving while refractory is discarded.
    Delta,
    /// A spike of weight w adds w (mV) to a current-like variable I that decays with
    /// `tau_syn_ms`; dv/dt = (u_rest − v + I)/tau_m (the tutorial's model, Brian2 style).
    /// I keeps evolving and receiving input while the neuron is refractory.
    ExpCurrent { tau_syn_ms: f64 },
}

/// A per-neuron value: the same for all, or drawn uniformly in `[lo, hi)`, in the unit of the
/// field that holds it (mV for potentials).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PerNeuron {
    Constant(f64),
    Uniform { lo: f64, hi: f64 },
}

/// Initial membrane potential of each neuron.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InitialV {
    /// v starts at the neuron's own resting potential.
    AtRest,
    /// v starts at a value drawn per neuron.
    Draw(PerNeuron),
}

/// Parameters of a population of leaky integrate-and-fire neurons.
#[derive(Debug, Clone, PartialEq)]
pub struct LifParams {
    /// Membrane time constant (ms).
    pub tau_m_ms: f64,
    pub synapse: Synapse,
    /// Firing threshold (mV).
    pub v_th_mv: f64,
    /// Reset potential after a spike (mV).
    pub v_reset_mv: f64,
    /// Refractory period (ms), v clamped at reset.
    pub t_ref_ms: f64,
    /// Resting potential (mV), per neuron.
    pub u_rest_mv: PerNeuron,
    /// Initial membrane potential (mV).
    pub v_init_mv: InitialV,
}

/// What the neurons of a population are.
#[derive(Debug, Clone, PartialEq)]
pub enum PopulationKind {
    /// Leaky integrate-and-fire neurons (their spikes are recorded).
    Lif(LifParams),
    /// Independent Poisson spike sources at `rate_hz` each. On the time grid a source emits a
    /// Poisson-distributed number of spikes per step (mean rate·dt), delivered with that
    /// multiplicity, which is exact for a Poisson process (NEST `poisson_generator`).
    Poisson { rate_hz: f64 },
}

/// A named group of neurons or sources.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationSpec {
    pub name: String,
    /// Number of neurons or sources.
    pub size: usize,
    pub kind: PopulationKind,
}

impl PopulationSpec {
    /// A population of LIF neurons.
    pub fn lif(name: &str, size: usize, params: LifParams) -> Self {
        PopulationSpec {
            name: name.into(),
            size,
            kind: PopulationKind::Lif(params),
        }
    }

    /// A population of independent Poisson sources at `rate_hz` each.
    pub fn poisson(name: &str, size: usize, rate_hz: f64) -> Self {
        PopulationSpec {
            name: name.into(),
            size,
            kind: PopulationKind::Poisson { rate_hz },
        }
    }
}

/// Which pairs of neurons a projection connects.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Connector {
    /// Source i onto target i (sizes must match).
    OneToOne,
    /// Every source onto every target.
    AllToAll { allow_autapses: bool },
    /// Each pair independently with probability `p` (Brian2 `connect(p=...)`).
    FixedProbability { p: f64, allow_autapses: bool },
    /// Each target draws exactly `k` sources uniformly (NEST `fixed_indegree`).
    FixedInDegree {
        k: usize,
        allow_autapses: bool,
        allow_multapses: bool,
    },
}

/// Weight of each synapse, in mV (a voltage jump for delta synapses, a jump of I otherwise).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WeightSpec {
    /// Every synapse `w_mv` (mV).
    Constant { w_mv: f64 },
    /// `scale · |N(mean_mv, sd_mv)|`: positive draws, the sign and size set by `scale`
    /// (the tutorial: scale 1 for excitation, −4 for inhibition).
    AbsNormal {
        mean_mv: f64,
        sd_mv: f64,
        scale: f64,
    },
}

/// Transmission delay of each synapse. Delays are whole time steps: a value is rounded to the
/// nearest step, and draws below one step are clipped to dt (as NEST/PyNN `normal_clipped`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DelaySpec {
    /// Every synapse `d_ms` (ms).
    Constant { d_ms: f64 },
    /// Drawn per synapse from N(mean_ms, sd_ms) (ms).
    Normal { mean_ms: f64, sd_ms: f64 },
}

/// A set of synapses from one population onto another.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectionSpec {
    pub name: String,
    pub source: String,
    pub target: String,
    pub connector: Connector,
    pub weight: WeightSpec,
    pub delay: DelaySpec,
}

/// Membrane potentials to sample during a run: `count` neurons of a population spread evenly
/// over its indices, every `every_ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct VoltageSampling {
    pub population: String,
    pub count: usize,
    pub every_ms: f64,
}

/// A whole network and how long to run it.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkSpec {
    /// Integration time step (ms).
    pub dt_ms: f64,
    /// Simulated time (ms), warm-up included.
    pub duration_ms: f64,
    /// Initial part of the run that measures ignore (ms).
    pub warmup_ms: f64,
    pub populations: Vec<PopulationSpec>,
    pub projections: Vec<ProjectionSpec>,
    pub voltage_sampling: Vec<VoltageSampling>,
}

/// A network description that cannot be built.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SpecError {
    #[error("projection `{projection}`: unknown population `{population}`")]
    UnknownPopulation {
        projection: String,
        population: String,
    },
    #[error("projection `{projection}`: {message}")]
    BadProjection { projection: String, message: String },
    #[error("population `{population}`: {message}")]
    BadPopulation { population: String, message: String },
    #[error("{0}")]
    Other(String),
    /// The run would not fit the engine's representation or this machine's memory.
    #[error("{0}")]
    Resources(String),
}

impl NetworkSpec {
    /// Index of a population by name.
    pub fn population_index(&self, name: &str) -> Option<usize> {
        self.populations.iter().position(|p| p.name == name)
    }

    /// Number of whole time steps in the run.
    pub fn n_steps(&self) -> usize {
        (self.duration_ms / self.dt_ms).round() as usize
    }

    /// Number of whole steps in the warm-up.
    pub fn warmup_steps(&self) -> usize {
        ((self.warmup_ms / self.dt_ms).round() as usize).min(self.n_steps())
    }

    /// Checks the description for inconsistencies the parameter ranges cannot catch: the run
    /// length and warm-up, each population, each projection (in order; the first error wins),
    /// then what the engine and this machine can hold ([`NetworkSpec::check_resources`]).
    pub fn validate(&self) -> Result<(), SpecError> {
        self.check_run_length()?;
        for p in &self.populations {
            check_population(p)?;
        }
        for pr in &self.projections {
            self.check_projection(pr)?;
        }
        self.check_resources()
    }

    /// dt_ms and duration_ms (ms) must be positive, and the warm-up shorter than the run.
    fn check_run_length(&self) -> Result<(), SpecError> {
        if !(self.dt_ms > 0.0) || !(self.duration_ms > 0.0) {
            return Err(SpecError::Other(format!(
                "dt_ms ({}) and duration_ms ({}) must be > 0",
                self.dt_ms, self.duration_ms
            )));
        }
        if self.warmup_ms >= self.duration_ms {
            return Err(SpecError::Other(format!(
                "warmup_ms ({}) must be shorter than duration_ms ({}): nothing would be measured",
                self.warmup_ms, self.duration_ms
            )));
        }
        Ok(())
    }

    /// One projection: both endpoints exist, the target is LIF, the connector fits the sizes,
    /// the delay is possible on the time grid.
    fn check_projection(&self, pr: &ProjectionSpec) -> Result<(), SpecError> {
        let (si, ti) = self.projection_endpoints(pr)?;
        let (src, tgt) = (&self.populations[si], &self.populations[ti]);
        let bad = |m: String| SpecError::BadProjection {
            projection: pr.name.clone(),
            message: m,
        };
        if !matches!(tgt.kind, PopulationKind::Lif(_)) {
            return Err(bad(format!(
                "target `{}` is not a LIF population",
                tgt.name
            )));
        }
        check_connector(&pr.connector, src, tgt, si == ti).map_err(bad)?;
        check_delay(&pr.delay, self.dt_ms).map_err(bad)
    }

    /// Indices of a projection's source and target populations (the source is looked up first).
    fn projection_endpoints(&self, pr: &ProjectionSpec) -> Result<(usize, usize), SpecError> {
        let index = |name: &String| {
            self.population_index(name)
                .ok_or_else(|| SpecError::UnknownPopulation {
                    projection: pr.name.clone(),
                    population: name.clone(),
                })
        };
        Ok((index(&pr.source)?, index(&pr.target)?))
    }

    /// Checks that the engine can represent the run: step counts fit its u32 spike times,
    /// per-step Poisson means fit its samplers, and the network's memory fits this machine.
    /// Parameter ranges alone allow values (eta = 1e20, N_E = 1e8) that would panic or abort.
    pub fn check_resources(&self) -> Result<(), SpecError> {
        let steps = self.duration_ms / self.dt_ms;
        if !(steps <= MAX_STEPS) {
            return Err(SpecError::Resources(format!(
                "duration_ms / dt_ms = {} / {} = {steps:.3e} steps; expected at most {MAX_STEPS:.3e} (spike times are stored as 32-bit step indices)",
                self.duration_ms, self.dt_ms
            )));
        }
        for p in &self.populations {
            if let PopulationKind::Poisson { rate_hz } = p.kind {
                let mean = rate_hz * self.dt_ms * 1e-3;
                if !(mean <= MAX_POISSON_MEAN_PER_STEP) {
                    return Err(SpecError::BadPopulation {
                        population: p.name.clone(),
                        message: format!(
                            "Poisson rate {rate_hz:.3e} Hz gives a mean of {mean:.3e} spikes per source and step of {} ms; expected at most {MAX_POISSON_MEAN_PER_STEP:.0e} (lower the drive, e.g. eta or the input rate, or dt_ms)",
                            self.dt_ms
                        ),
                    });
                }
            }
        }
        let need = self.memory_estimate_bytes();
        let have = memory_limit_bytes();
        if !(need <= have) {
            return Err(SpecError::Resources(format!(
                "the network needs about {:.1} GB ({:.3e} synapses, {} neurons) but this machine allows {:.1} GB (90 % of its memory); expected a smaller network (N_E, N_I, epsilon, C_E) or a longer dt_ms",
                need / 1e9,
                self.synapse_count(),
                self.populations.iter().map(|p| p.size as f64).sum::<f64>(),
                have / 1e9
            )));
        }
        Ok(())
    }

    /// Expected number of synapses of all projections.
    pub fn synapse_count(&self) -> f64 {
        self.projections
            .iter()
            .map(|pr| self.projection_synapses(pr))
            .sum()
    }

    /// Expected number of synapses of one projection.
    pub fn projection_synapses(&self, pr: &ProjectionSpec) -> f64 {
        let size = |name: &str| {
            self.population_index(name)
                .map_or(0.0, |i| self.populations[i].size as f64)
        };
        let (s, t) = (size(&pr.source), size(&pr.target));
        match pr.connector {
            Connector::OneToOne => t,
            Connector::AllToAll { .. } => s * t,
            Connector::FixedProbability { p, .. } => p * s * t,
            Connector::FixedInDegree { k, .. } => k as f64 * t,
        }
    }

    /// Peak memory of building and running the network, in bytes, excluding the spike record
    /// (bounded while running, see `engine::run_bounded`): ~24 bytes per synapse while
    /// building (targets, per-synapse weights/delays, the sort by source), a ring buffer of the
    /// longest delay per neuron, ~100 bytes of state per neuron, 24 bytes per step of analysis.
    pub fn memory_estimate_bytes(&self) -> f64 {
        let neurons: f64 = self.populations.iter().map(|p| p.size as f64).sum();
        let max_delay_ms = self
            .projections
            .iter()
            .map(|pr| match pr.delay {
                DelaySpec::Constant { d_ms } => d_ms,
                DelaySpec::Normal { mean_ms, sd_ms } => mean_ms + 6.0 * sd_ms,
            })
            .fold(self.dt_ms, f64::max);
        let ring_depth = max_delay_ms / self.dt_ms + 2.0;
        // The analysis holds a few arrays of one value per step (population counts, rates).
        let per_step = 24.0 * (self.duration_ms / self.dt_ms);
        24.0 * self.synapse_count() + 4.0 * ring_depth * neurons + 100.0 * neurons + per_step
    }
}

/// A LIF population: reset below threshold (mV), a non-empty resting-potential range (mV).
fn check_population(p: &PopulationSpec) -> Result<(), SpecError> {
    let PopulationKind::Lif(l) = &p.kind else {
        return Ok(());
    };
    if l.v_reset_mv >= l.v_th_mv {
        return Err(SpecError::BadPopulation {
            population: p.name.clone(),
            message: format!(
                "reset ({} mV) must lie below threshold ({} mV)",
                l.v_reset_mv, l.v_th_mv
            ),
        });
    }
    if let PerNeuron::Uniform { lo: a, hi: b } = l.u_rest_mv {
        if a > b {
            return Err(SpecError::BadPopulation {
                population: p.name.clone(),
                message: format!("resting potential range [{a}, {b}] mV is empty"),
            });
        }
    }
    Ok(())
}

/// Whether a connector fits its populations: one-to-one needs equal sizes, a probability lies
/// in [0, 1], a fixed in-degree has enough eligible sources (`same`: source is the target, so
/// without autapses a neuron is not its own source). The error is the projection's message.
fn check_connector(
    connector: &Connector,
    src: &PopulationSpec,
    tgt: &PopulationSpec,
    same: bool,
) -> Result<(), String> {
    match *connector {
        Connector::OneToOne if src.size != tgt.size => Err(format!(
            "one-to-one needs equal sizes, got {} and {}",
            src.size, tgt.size
        )),
        Connector::FixedProbability { p, .. } if !(0.0..=1.0).contains(&p) => {
            Err(format!("connection probability {p} is outside [0, 1]"))
        }
        Connector::FixedInDegree {
            k,
            allow_autapses,
            allow_multapses,
        } => {
            let avail = if same && !allow_autapses {
                src.size.saturating_sub(1)
            } else {
                src.size
            };
            if k > 0 && avail == 0 {
                return Err(format!("in-degree {k} but no eligible source"));
            }
            if !allow_multapses && k > avail {
                return Err(format!(
                    "in-degree {k} exceeds the {avail} distinct sources available without multapses"
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Whether a delay is possible with time step `dt_ms` (ms): a non-negative sd (ms), a constant
/// delay (ms) of at least one step. The error is the projection's message.
fn check_delay(delay: &DelaySpec, dt_ms: f64) -> Result<(), String> {
    match *delay {
        DelaySpec::Normal { sd_ms, .. } if sd_ms < 0.0 => {
            Err(format!("delay sd {sd_ms} ms is negative"))
        }
        // A constant delay below one step would silently become a whole step (dt = 10 ms
        // turns Brunel's 1.5 ms into 10 ms and the network into a 100 Hz clock).
        DelaySpec::Constant { d_ms } if d_ms < dt_ms * (1.0 - 1e-9) => Err(format!(
            "delay {d_ms} ms is shorter than the time step dt_ms = {dt_ms} ms: expected dt_ms <= delay"
        )),
        _ => Ok(()),
    }
}

/// The longest run, in steps (spike times are u32 step indices).
pub const MAX_STEPS: f64 = u32::MAX as f64;
/// The largest mean count per Poisson source and step: counts are u32 and the samplers'
/// fallbacks refuse means near 2^63; 1e7 keeps every count far below u32::MAX.
pub const MAX_POISSON_MEAN_PER_STEP: f64 = 1e7;

/// Memory a single network may use: 90 % of this machine's memory (`/proc/meminfo`
/// MemTotal), or 16 GiB when that cannot be read. Read from /proc (Linux, what clusters run)
/// rather than through `sysinfo`, which is in the tree only as a dependency of polars.
pub fn memory_limit_bytes() -> f64 {
    static LIMIT: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(read_memory_limit_bytes)
}

fn read_memory_limit_bytes() -> f64 {
    let total_kb = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
    });
    0.9 * total_kb.map_or(16.0 * (1u64 << 30) as f64, |kb| kb * 1024.0)
}
