//! Diffusion mean-field theory of Brunel (2000) model A.
//!
//! - [`stationary`]: the threshold rate, the self-consistent stationary rates nu_0 (every root
//!   where several exist), the input (mu_0, sigma_0) and the predicted CV of ISI.
//! - [`stability`]: linear stability of a stationary state (Brunel & Hakim 1999; Brunel 2000
//!   §5 and Appendix A): the eigenvalue condition, its leading roots and a theory label.
//! - [`boundaries`]: the lines of Brunel's Fig. 2 over a (g, eta) region (Hopf, saddle-node
//!   and the label's rate cuts), traced by continuation.
//!
//! Everything is re-exported here, so `crate::theory::stationary_states` and the like keep
//! working.

pub mod boundaries;
pub mod stability;
pub mod stationary;

pub use stability::*;
pub use stationary::*;
