//! Taking work in batches from a queue: what the group-commit writers
//! (`store::commit`, `delivery::recorder`) share.

use tokio::sync::mpsc;

/// Waits for the next item, then takes whatever else is already queued,
/// up to `max` in all; `None` once every sender is gone and the queue is
/// empty. Blocking: for the writers' own threads.
pub fn next_batch<T>(queue: &mut mpsc::Receiver<T>, max: usize) -> Option<Vec<T>> {
    let first = queue.blocking_recv()?;
    let mut batch = vec![first];
    while batch.len() < max {
        match queue.try_recv() {
            Ok(item) => batch.push(item),
            Err(_) => break,
        }
    }
    Some(batch)
}
