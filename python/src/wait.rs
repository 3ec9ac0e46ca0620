//! Waiting for work on a Rust thread without holding the GIL, while Python signals are
//! still noticed: the calling (main) thread sleeps in short slices off the interpreter, and
//! between them attaches to hand messages to Python (progress) and to run `check_signals`
//! (KeyboardInterrupt), which does nothing on any other thread.

use pyo3::prelude::*;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::Duration;

/// How long the caller sleeps off the interpreter between checks.
pub const SLICE: Duration = Duration::from_millis(100);

/// Receives messages from `rx` until its sender hangs up (the worker ended), passing each to
/// `on_message` with the GIL held, with whether the wait was stopped. The first Python error,
/// from `check_signals` (KeyboardInterrupt) or raised by `on_message` (a callback interrupted
/// or failing), calls `on_stop` once, which tells the worker to stop; later errors of
/// `on_message` are dropped, and if `on_stop` returned true the wait goes on until the worker
/// ends. Returns that first error.
pub fn wait_for<M: Send>(
    py: Python<'_>,
    rx: Receiver<M>,
    mut on_message: impl FnMut(Python<'_>, M, bool) -> PyResult<()>,
    mut on_stop: impl FnMut() -> bool,
) -> Option<PyErr> {
    let mut stopped: Option<PyErr> = None;
    // A Mutex makes the receiver shareable with the detached closure (`Ungil` needs `Sync`).
    let rx = Mutex::new(rx);
    loop {
        let got = py.detach(|| match rx.lock().expect("one user").recv_timeout(SLICE) {
            Ok(m) => Ok(Some(m)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(()),
        });
        let mut error = None;
        match got {
            Ok(Some(m)) => {
                let more: Vec<M> = rx.lock().expect("one user").try_iter().collect();
                for m in std::iter::once(m).chain(more) {
                    let r = on_message(py, m, stopped.is_some() || error.is_some());
                    if stopped.is_none() && error.is_none() {
                        error = r.err();
                    }
                }
            }
            Ok(None) => {}
            Err(()) => return stopped,
        }
        if stopped.is_none() {
            if let Some(e) = error.or_else(|| py.check_signals().err()) {
                let keep_waiting = on_stop();
                stopped = Some(e);
                if !keep_waiting {
                    return stopped;
                }
            }
        }
    }
}
