//! The timer task: runs due reminders and automatic closes (SPEC §2.3).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::error;

use crate::pipeline::{Gateway, PipelineError};

use super::sleep_or_cancel;

pub(super) async fn timer_task(
    gw: Arc<Gateway>,
    outbox: mpsc::UnboundedSender<Vec<u64>>,
    cancel: CancellationToken,
) {
    let p = &gw.policy;
    // Service levels (SPEC §2.7) are checked on the same tick, so it is as fine as the
    // shortest of them too.
    let shortest = p
        .sla
        .iter()
        .flat_map(|(_, t)| [t.first_response, t.resolution])
        .flatten()
        .fold(
            p.waiting_reminder
                .min(p.waiting_autoclose)
                .min(p.resolved_autoclose),
            i64::min,
        );
    let tick = Duration::from_secs((shortest / 4).clamp(1, 60) as u64);
    loop {
        if sleep_or_cancel(tick, &cancel).await {
            break;
        }
        let g = gw.clone();
        let r = tokio::task::spawn_blocking(move || {
            let ids = g.run_timers(g.now())?;
            g.flush()?;
            Ok::<_, PipelineError>(ids)
        })
        .await;
        match r {
            Ok(Ok(ids)) if !ids.is_empty() => {
                let _ = outbox.send(ids);
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => error!(error = %e, "timers failed"),
            Err(e) => error!(error = %e, "timer task failed"),
        }
    }
}
