//! Diffusion mean-field theory of Brunel (2000) model A.
//!
//! - [`stationary`]: the threshold rate, the self-consistent stationary rates nu_0 (every root
//!   where several exist), the input (mu_0, sigma_0) and the predicted CV of ISI.
//! - [`stability`]: linear stability of a stationary state (Brunel & Hakim 1999; Brunel 2000
//!   §5 and Appendix A): the eigenvalue condition, its leading roots and a theory label.
//! - [`spectrum`]: the power spectrum of the population activity of a finite network in its
//!   stable state (linear response, both input channels, E and I finite-size noise) and its
//!   peak, in units of the Poisson floor.
//! - [`boundaries`]: the lines of Brunel's Fig. 2 over a (g, eta) region (Hopf, saddle-node,
//!   the quiescent rate cut and the regularity line), traced by continuation.
//! - [`summary`]: the stationary states and their stability as one JSON object.
//!
//! Everything is re-exported here, so `crate::theory::stationary_states` and the like keep
//! working.

pub mod boundaries;
pub mod spectrum;
pub mod stability;
pub mod stationary;
pub mod summary;

pub use stability::*;
pub use stationary::*;
pub use summary::theory_json;
