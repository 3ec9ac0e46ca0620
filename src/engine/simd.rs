//! The one run-time choice between the baseline kernels and the same kernels compiled for
//! AVX2. Every hot kernel (the model updates, the fused Poisson count) is a [`Kernel`] and
//! goes through [`dispatch`], so the CPU test and the [`FORCE_BASELINE`] switch live here only.
//!
//! Both code paths compile the same Rust source; only IEEE add/mul/compare in a fixed order
//! is used (Rust never contracts a·b + c into an FMA), so they give the same bits. The tests
//! `avx2_and_baseline_*` of each model check it.

use std::sync::atomic::{AtomicBool, Ordering};

/// Tests set this to run the baseline code path on AVX2 machines too.
#[doc(hidden)]
pub static FORCE_BASELINE: AtomicBool = AtomicBool::new(false);

/// A hot loop that can be compiled twice. `run` must be `#[inline(always)]` so that its body
/// is compiled into each instance (the AVX2 one is where the wide registers pay off: the
/// Poisson table count and the branch-free delta update vectorise twice as wide).
///
/// A kernel arrives as one struct, so the compiler no longer sees that its slices do not
/// overlap: `run` should unpack it and hand the slices to an `#[inline(always)]` function as
/// separate arguments, and copy scalar parameters into locals; otherwise the loops reload
/// them after every store and do not vectorise (seen on the delta update).
pub(super) trait Kernel {
    /// What the kernel returns.
    type Output;
    /// Runs the kernel once.
    fn run(self) -> Self::Output;
}

/// Runs `k` compiled for AVX2 when the CPU has it (and [`FORCE_BASELINE`] is off), else the
/// baseline build; both give identical results.
#[inline(always)]
pub(super) fn dispatch<K: Kernel>(k: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && !FORCE_BASELINE.load(Ordering::Relaxed) {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { run_avx2(k) };
        }
    }
    run_baseline(k)
}

/// [`Kernel::run`] compiled for the baseline target, kept out of line like `run_avx2` so that
/// the caller only picks a path and hands the kernel over (cheaper per call than inlining
/// the baseline body next to the AVX2 call).
#[inline(never)]
fn run_baseline<K: Kernel>(k: K) -> K::Output {
    k.run()
}

/// [`Kernel::run`] compiled with AVX2 enabled.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn run_avx2<K: Kernel>(k: K) -> K::Output {
    k.run()
}

/// Runs `f` on the dispatched code path (AVX2 where the CPU has it), then with
/// [`FORCE_BASELINE`] on; returns both results. The switch is process-wide, so the tests that
/// compare paths take turns through a lock, and it is reset even if `f` panics.
#[cfg(test)]
pub(super) fn on_both_paths<R>(f: impl Fn() -> R) -> (R, R) {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            FORCE_BASELINE.store(false, Ordering::SeqCst);
        }
    }
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dispatched = f();
    FORCE_BASELINE.store(true, Ordering::SeqCst);
    let _reset = Reset;
    (dispatched, f())
}
