//! [`Failure`]: how the client commands (`weir triggers …`, `listen`,
//! `export`, `import`) fail, and the exit code each kind of failure has.
//!
//! | exit code | meaning |
//! | --- | --- |
//! | 0 | success |
//! | 1 | the API answered with an error (`error: <code>: <message>`) |
//! | 2 | usage: bad flags, a body that is not JSON, a verb the resource lacks |
//! | 3 | Weir could not be reached (connection refused, timeout, TLS) |
//! | 4 | a local failure: files, the data directory, the listening port |

use std::process::ExitCode;

/// A client command failed.
#[derive(Debug)]
pub enum Failure {
    /// The command line or its input is wrong (exit 2).
    Usage(String),
    /// The API answered with an error (exit 1).
    Api {
        /// The error's stable `code`, or `http_<status>` when the answer
        /// was not Weir's error JSON.
        code: String,
        /// The error's message.
        message: String,
    },
    /// The server could not be reached (exit 3).
    Connect(String),
    /// A local file, store or socket failed (exit 4).
    Local(String),
}

impl Failure {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Api { .. } => 1,
            Self::Usage(_) => 2,
            Self::Connect(_) => 3,
            Self::Local(_) => 4,
        }
    }

    /// Prints the failure on stderr and returns its exit code.
    pub fn report(&self) -> ExitCode {
        match self {
            Self::Api { code, message } => eprintln!("error: {code}: {message}"),
            Self::Usage(message) | Self::Connect(message) | Self::Local(message) => {
                eprintln!("error: {message}")
            }
        }
        ExitCode::from(self.exit_code())
    }
}

/// Runs a client command: success is exit 0, a failure is reported.
pub fn finish(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
