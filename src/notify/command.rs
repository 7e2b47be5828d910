//! Command alerts: the configured program run directly (no shell, so nothing in a story
//! can be read as shell syntax), the body on its standard input, killed when it outlives
//! the alert's timeout. Exit status 0 means delivered.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use super::{short_detail, NotifyError, DETAIL_BYTES};

pub(super) async fn run(
    argv: &[String],
    receiver: &str,
    body: &[u8],
    env: &[(&str, String)],
    timeout: Duration,
) -> Result<String, NotifyError> {
    let program = argv.first().cloned().unwrap_or_default();
    let failed = |message: String| NotifyError::Command {
        receiver: receiver.to_string(),
        message,
    };
    let mut child = Command::new(&program)
        .args(argv.iter().skip(1))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| failed(format!("cannot start it: {e}")))?;
    let stdin = child.stdin.take();
    let stderr = child.stderr.take();
    let exchange = async {
        if let Some(mut stdin) = stdin {
            // A program that does not read its input is not a failure.
            let _ = stdin.write_all(body).await;
        }
        let mut said = Vec::new();
        if let Some(mut stderr) = stderr {
            let _ = (&mut stderr)
                .take(DETAIL_BYTES as u64)
                .read_to_end(&mut said)
                .await;
            // Keep draining, so that a talkative program never blocks on a full pipe.
            let _ = tokio::io::copy(&mut stderr, &mut tokio::io::sink()).await;
        }
        (child.wait().await, said)
    };
    let outcome = tokio::time::timeout(timeout, exchange).await;
    match outcome {
        Ok((Ok(status), _)) if status.success() => Ok(format!("{status}")),
        Ok((Ok(status), said)) => Err(failed(format!("{status}{}", short_detail(&said)))),
        Ok((Err(e), _)) => Err(failed(format!("cannot wait for it: {e}"))),
        Err(_) => {
            let _ = child.start_kill();
            // Reap it; a process that ignores SIGKILL is the kernel's problem, not ours.
            let _ = tokio::time::timeout(Duration::from_secs(1), child.wait()).await;
            Err(NotifyError::Timeout {
                receiver: receiver.to_string(),
                secs: timeout.as_secs(),
            })
        }
    }
}
