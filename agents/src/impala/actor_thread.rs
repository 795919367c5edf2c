//! Asynchronous acting: an actor on its own thread acts with the newest θ the learner has
//! published and hands its unrolls to the learner through a bounded queue, so that acting
//! overlaps learning (IMPALA's decoupled actors, on one machine). The policy that acted an
//! unroll may be a few updates behind the learner's θ; V-trace's importance weights correct
//! for that lag. What the learner sees depends on thread timing, so runs are not
//! reproducible bit for bit.

use super::NetPolicy;
use crate::actor::Actor;
use crate::net::{ActorCritic, Params};
use crate::unroll::Unroll;
use anyhow::{anyhow, Result};
use dfdx::prelude::{Device, Dtype};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The newest θ and η, as the learner published them.
type Published<E, D> = Arc<Mutex<(Params<E, D>, Vec<f64>)>>;

/// An unroll and the returns of the episodes that ended in it.
type Acted = Result<(Unroll, Vec<f64>)>;

/// The actor's thread and the two ends the learner holds.
pub struct ActorThread<E: Dtype, D: Device<E>> {
    /// The actor, locked by its thread while it acts one unroll and by the learner to save it.
    actor: Arc<Mutex<Actor>>,
    published: Published<E, D>,
    /// `None` once dropped, which stops the thread at its next send.
    unrolls: Option<Receiver<Acted>>,
    handle: Option<JoinHandle<()>>,
}

impl<E: Dtype, D: Device<E> + 'static> ActorThread<E, D>
where
    Params<E, D>: Send,
    ActorCritic<E, D>: Send,
{
    /// Starts `actor` on a thread that acts with `net` at the published θ (first `params`,
    /// `eta`), keeping at most `queue` unrolls waiting.
    pub fn start(
        actor: Actor,
        net: ActorCritic<E, D>,
        params: Params<E, D>,
        eta: Vec<f64>,
        queue: usize,
    ) -> Result<Self> {
        let actor = Arc::new(Mutex::new(actor));
        let published: Published<E, D> = Arc::new(Mutex::new((params, eta)));
        let (send, unrolls) = sync_channel::<Acted>(queue);
        let (shared_actor, shared_published) = (actor.clone(), published.clone());
        let handle = std::thread::Builder::new().name("mgrl-actor".into()).spawn(move || loop {
            let (params, eta) = shared_published.lock().expect("the learner does not panic holding θ").clone();
            let acted = {
                let mut actor = shared_actor.lock().expect("the actor's lock is never poisoned: acting returns errors");
                let mut finished = Vec::new();
                actor
                    .unroll(&mut NetPolicy { net: &net, params: &params, eta: &eta }, &mut finished)
                    .map(|u| (u, finished))
            };
            let failed = acted.is_err();
            if send.send(acted).is_err() || failed {
                return; // the learner is gone, or has the error
            }
        })?;
        Ok(ActorThread { actor, published, unrolls: Some(unrolls), handle: Some(handle) })
    }

    /// Publishes θ and η for the next unrolls, and takes the oldest waiting unroll.
    pub fn next(&self, params: &Params<E, D>, eta: &[f64]) -> Result<(Unroll, Vec<f64>)> {
        *self.published.lock().map_err(|_| anyhow!("the actor thread panicked"))? = (params.clone(), eta.to_vec());
        let unrolls = self.unrolls.as_ref().expect("the queue lives as long as the thread");
        unrolls.recv().map_err(|_| anyhow!("the actor thread stopped without an error (it panicked)"))?
    }

    /// The actor, between two of its unrolls.
    pub fn actor(&self) -> Result<std::sync::MutexGuard<'_, Actor>> {
        self.actor.lock().map_err(|_| anyhow!("the actor thread panicked"))
    }
}

impl<E: Dtype, D: Device<E>> Drop for ActorThread<E, D> {
    fn drop(&mut self) {
        // Closing the queue ends the thread at its next send (after at most one unroll).
        drop(self.unrolls.take());
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}
