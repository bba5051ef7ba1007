//! How an RPC body runs: it gathers diagnostics as it goes, and a step that fails adds its own and
//! halts the body (`Err(Halt)` through `?`). The answer then carries everything gathered,
//! warnings included, and otherwise only the response's defaults: no state, no private bytes.

use tonic::{Response, Status};

use super::diag::Diagnostics;
use super::wire::diagnostics_pb;
use crate::plugin::proto::tfplugin5 as pb;

/// An RPC body stopped at a failed step whose diagnostics are already gathered.
pub(super) struct Halt;

/// Gathers a step's diagnostics when it failed, halting the RPC body.
pub(super) trait Gather<T> {
    fn gather(self, diags: &mut Diagnostics) -> Result<T, Halt>;
}

impl<T> Gather<T> for Result<T, Diagnostics> {
    fn gather(self, diags: &mut Diagnostics) -> Result<T, Halt> {
        self.map_err(|failed| {
            diags.extend(failed);
            Halt
        })
    }
}

/// Halts the RPC body with one more error.
pub(super) fn fail<T>(
    diags: &mut Diagnostics,
    summary: impl Into<String>,
    detail: impl Into<String>,
) -> Result<T, Halt> {
    diags.error(summary, detail);
    Err(Halt)
}

/// A response that carries the RPC's diagnostics.
pub(super) trait Answer: Default {
    fn set_diagnostics(&mut self, diagnostics: Vec<pb::Diagnostic>);
}

macro_rules! answers {
    ($($rpc:ident),* $(,)?) => {$(
        impl Answer for pb::$rpc::Response {
            fn set_diagnostics(&mut self, diagnostics: Vec<pb::Diagnostic>) {
                self.diagnostics = diagnostics;
            }
        }
    )*};
}

answers!(
    prepare_provider_config,
    validate_resource_type_config,
    validate_data_source_config,
    upgrade_resource_state,
    configure,
    read_resource,
    plan_resource_change,
    apply_resource_change,
    import_resource_state,
    read_data_source,
);

/// Runs an RPC body and answers with what it built (the default response when it halted), plus
/// every diagnostic it gathered.
pub(super) async fn answer<R: Answer>(
    body: impl AsyncFnOnce(&mut Diagnostics) -> Result<R, Halt>,
) -> Result<Response<R>, Status> {
    let mut diags = Diagnostics::new();
    let mut response = body(&mut diags).await.unwrap_or_default();
    response.set_diagnostics(diagnostics_pb(diags));
    Ok(Response::new(response))
}
