//! go-plugin's companion services: `GRPCController` (Shutdown) and `GRPCStdio`.

use std::pin::Pin;

use futures::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::proto::go_plugin::{grpc_controller_server, grpc_stdio_server, Empty, StdioData};

/// `Shutdown`: answer, then stop serving; the process exits when the server has drained.
pub struct Controller {
    shutdown: CancellationToken,
}

impl Controller {
    pub fn new(shutdown: CancellationToken) -> Self {
        Controller { shutdown }
    }
}

#[tonic::async_trait]
impl grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<Empty>) -> Result<Response<Empty>, Status> {
        crate::log_debug!("Shutdown requested by Terraform");
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }
}

/// `StreamStdio`: we never write to stdout after the handshake and log to stderr directly, so
/// the stream carries nothing; it stays open until shutdown so go-plugin does not log its end.
pub struct Stdio {
    shutdown: CancellationToken,
}

impl Stdio {
    pub fn new(shutdown: CancellationToken) -> Self {
        Stdio { shutdown }
    }
}

type StdioStream = Pin<Box<dyn Stream<Item = Result<StdioData, Status>> + Send>>;

#[tonic::async_trait]
impl grpc_stdio_server::GrpcStdio for Stdio {
    async fn stream_stdio(&self, _: Request<Empty>) -> Result<Response<StdioStream>, Status> {
        let until = self.shutdown.clone().cancelled_owned();
        let stream = futures::stream::once(until).filter_map(|()| async { None });
        Ok(Response::new(Box::pin(stream)))
    }
}
