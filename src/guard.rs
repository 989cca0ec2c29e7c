//! Guards around the work one document asks for: a panic becomes a message, and a time budget
//! or a stop request ends the work between steps.
//!
//! A stage that panics on some input must cost that document, not the run. [`catch`] runs a
//! step and turns a panic into its message (with the place it came from); while a step runs
//! under it, the panic is not printed, since the caller reports it with the document's name.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

thread_local! {
    /// How many guarded steps this thread is inside.
    static GUARDED: Cell<usize> = const { Cell::new(0) };
    /// The message of the last panic inside a guarded step on this thread.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Runs `step`; a panic in it becomes `Err` with the panic's message and place. Panics outside
/// guarded steps still go to the hook that was there before.
pub fn catch<T>(step: impl FnOnce() -> T) -> Result<T, String> {
    HOOK.call_once(install_hook);
    GUARDED.with(|g| g.set(g.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(step));
    GUARDED.with(|g| g.set(g.get() - 1));
    result.map_err(|payload| LAST_PANIC.with(|last| last.borrow_mut().take()).unwrap_or_else(|| payload_message(payload.as_ref())))
}

fn install_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if GUARDED.with(Cell::get) == 0 {
            return previous(info);
        }
        let message = payload_message(info.payload());
        let message = match info.location() {
            Some(at) => format!("{message} (at {}:{})", at.file(), at.line()),
            None => message,
        };
        LAST_PANIC.with(|last| *last.borrow_mut() = Some(message));
    }));
}

fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// Why the work on a document ended early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A step panicked: a bug, reported with the step's name.
    Panic {
        /// The stage that panicked.
        stage: &'static str,
        /// The panic's message and place.
        message: String,
    },
    /// The document took longer than its time limit.
    Timeout {
        /// The stage that was about to run when the limit was found passed.
        stage: &'static str,
        /// The limit.
        limit: Duration,
    },
    /// The run was asked to stop (Ctrl-C) before the document was done.
    Stopped,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Panic { stage, message } => write!(f, "internal error in stage {stage}: {message}"),
            Failure::Timeout { stage, limit } => write!(
                f,
                "took longer than the limit of {} s per document (at stage {stage}): raise --doc-timeout, or 0 for none",
                limit.as_secs_f64()
            ),
            Failure::Stopped => write!(f, "stopped before it was done"),
        }
    }
}

/// What a document may still spend: a deadline and the run's stop flag.
#[derive(Debug, Clone, Copy)]
pub struct Budget<'a> {
    deadline: Option<(Instant, Duration)>,
    stop: Option<&'a AtomicBool>,
}

impl<'a> Budget<'a> {
    /// No limit and no stop flag.
    pub fn unlimited() -> Budget<'static> {
        Budget { deadline: None, stop: None }
    }

    /// A budget of `limit` from now (none when `None`), ended early when `stop` is set.
    pub fn starting_now(limit: Option<Duration>, stop: &'a AtomicBool) -> Budget<'a> {
        Budget { deadline: limit.map(|l| (Instant::now() + l, l)), stop: Some(stop) }
    }

    /// `Err` when the run was stopped or the deadline has passed; `stage` is the step that
    /// would run next.
    pub fn check(&self, stage: &'static str) -> Result<(), Failure> {
        if self.stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
            return Err(Failure::Stopped);
        }
        match self.deadline {
            Some((at, limit)) if Instant::now() >= at => Err(Failure::Timeout { stage, limit }),
            _ => Ok(()),
        }
    }

    /// Checks the budget, then runs `step` under [`catch`].
    pub fn run<T>(&self, stage: &'static str, step: impl FnOnce() -> T) -> Result<T, Failure> {
        self.check(stage)?;
        catch(step).map_err(|message| Failure::Panic { stage, message })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message_with_the_place() {
        let err = catch(|| -> u8 { panic!("kaputt {}", 7) }).unwrap_err();
        assert!(err.starts_with("kaputt 7 (at src/guard.rs:"), "{err}");
        assert_eq!(catch(|| 5), Ok(5));
    }

    #[test]
    fn a_passed_deadline_or_a_stop_ends_the_work() {
        let stop = AtomicBool::new(false);
        let budget = Budget::starting_now(Some(Duration::ZERO), &stop);
        assert_eq!(budget.run("ner", || 1), Err(Failure::Timeout { stage: "ner", limit: Duration::ZERO }));
        let budget = Budget::starting_now(None, &stop);
        assert_eq!(budget.run("ner", || 1), Ok(1));
        stop.store(true, Ordering::Relaxed);
        assert_eq!(budget.check("ner"), Err(Failure::Stopped));
        let panicked = budget.run("modality", || -> u8 { panic!("x") });
        assert!(matches!(panicked, Err(Failure::Stopped)));
        assert!(Budget::unlimited()
            .run("stance", || -> u8 { panic!("aus") })
            .unwrap_err()
            .to_string()
            .starts_with("internal error in stage stance: aus"));
    }
}
