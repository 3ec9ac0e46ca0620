//! Seed derivation: every random draw in a run comes from a `ChaCha8Rng` whose key is derived
//! from (master seed, point index or point coordinates, replicate) and whose stream names the purpose of the draws.
//! Nothing depends on threads or scheduling, so results are bit-identical however a sweep runs.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a random stream is used for; each purpose gets its own ChaCha stream of the point's key,
/// so adding draws to one purpose never shifts the numbers of another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Connectivity, weights and delays.
    Connectivity = 0,
    /// Per-neuron parameters and initial conditions.
    Initial = 1,
    /// Poisson spike sources during the simulation.
    Drive = 2,
}

/// One round of SplitMix64, a bijective mixer with good avalanche, used to combine seed parts.
pub fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of one run of a sweep, derived from the master seed, the grid point's index and the
/// replicate number only. `brunel simulate --seed <this>` reproduces the run.
pub fn point_seed(master_seed: u64, point_index: u64, replicate: u64) -> u64 {
    let a = splitmix64(master_seed ^ 0x6272_756E_656C_0001);
    let b = splitmix64(a ^ point_index.wrapping_mul(0xD6E8_FEB8_6659_FD93));
    splitmix64(b ^ replicate.wrapping_mul(0xA076_1D64_78BD_642F))
}

/// The seed of one run from the master seed, the point's parameter values (its coordinates,
/// not its place in a list) and the replicate: the same point gets the same seed whichever
/// grid, refinement level or list it comes from. −0.0 counts as 0.0.
pub fn coordinate_seed(master_seed: u64, values: &[f64], replicate: u64) -> u64 {
    let mut h = splitmix64(master_seed ^ 0x6272_756E_656C_0002);
    for v in values {
        h = splitmix64(h ^ (v + 0.0).to_bits());
    }
    splitmix64(h ^ replicate.wrapping_mul(0xA076_1D64_78BD_642F))
}

/// The generator for one purpose of one run: the run's seed as key, the purpose as stream.
pub fn stream(run_seed: u64, purpose: Purpose) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(run_seed);
    rng.set_stream(purpose as u64);
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn point_seeds_differ_by_point_and_replicate() {
        let s = point_seed(7, 0, 0);
        assert_ne!(s, point_seed(7, 1, 0));
        assert_ne!(s, point_seed(7, 0, 1));
        assert_ne!(s, point_seed(8, 0, 0));
        assert_eq!(s, point_seed(7, 0, 0));
    }

    #[test]
    fn coordinate_seeds_depend_on_values_not_positions() {
        let s = coordinate_seed(7, &[5.0, 2.0], 0);
        assert_eq!(s, coordinate_seed(7, &[5.0, 2.0], 0));
        assert_eq!(s, coordinate_seed(7, &[5.0, 2.0 - 0.0], 0));
        assert_eq!(
            coordinate_seed(7, &[0.0], 0),
            coordinate_seed(7, &[-0.0], 0)
        );
        assert_ne!(s, coordinate_seed(7, &[2.0, 5.0], 0));
        assert_ne!(s, coordinate_seed(7, &[5.0, 2.0], 1));
        assert_ne!(s, coordinate_seed(8, &[5.0, 2.0], 0));
        assert_ne!(s, point_seed(7, 0, 0));
    }

    #[test]
    fn purposes_are_distinct_streams() {
        let mut a = stream(1, Purpose::Connectivity);
        let mut b = stream(1, Purpose::Drive);
        let mut a2 = stream(1, Purpose::Connectivity);
        let x = a.next_u64();
        assert_ne!(x, b.next_u64());
        assert_eq!(x, a2.next_u64());
    }
}
