//! Accepting and serving connections with bounds no client can lift: a cap on connections
//! open at once, a time limit on a request's head, a time limit on a connection that neither
//! sends nor is being answered, and a time limit on a request body that stalls. Without them a
//! client that sends half a request holds a connection (a file descriptor) for good, and a few
//! hundred such clients stop the server accepting anyone.
//!
//! The accept loop takes a connection slot before it accepts: past the cap, new connections
//! wait in the kernel's backlog (costing the server nothing) until a slot frees. Accept errors
//! such as running out of file descriptors are logged once a second at most and retried.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Sleep;
use tower::ServiceExt;
use tracing::{debug, warn};

/// Bounds on connections; see [`ConnectionLimits::default`] for the defaults.
#[derive(Clone, Debug)]
pub struct ConnectionLimits {
    /// Connections open at once; more wait to be accepted.
    pub max_connections: usize,
    /// How long a client may take to send a request's head (line and headers), including the
    /// TLS handshake, from when the server starts reading it.
    pub header_timeout: Duration,
    /// How long a connection may stay open with nothing sent either way while no request of
    /// it is being answered; also how long a request body may pause between two pieces.
    pub idle_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// Turns an accepted TCP connection into the byte stream HTTP is read from (TLS or not).
pub trait Handshake: Clone + Send + Sync + 'static {
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    fn handshake(&self, stream: TcpStream) -> impl Future<Output = io::Result<Self::Io>> + Send;
}

/// Plain HTTP: the TCP stream itself.
#[derive(Clone)]
pub struct PlainTcp;

impl Handshake for PlainTcp {
    type Io = TcpStream;
    async fn handshake(&self, stream: TcpStream) -> io::Result<TcpStream> {
        Ok(stream)
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` resolves; then stops accepting,
/// asks open connections to close once their request in flight is answered, and waits for them.
pub async fn serve_connections<H: Handshake>(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    handshake: H,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    let mut accept_errors = AcceptErrorLog::default();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore is never closed"),
            _ = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    accept_errors.note(&error);
                    if !is_connection_error(&error) {
                        // Out of file descriptors or memory: give the connections open time
                        // to close rather than spin.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        stream.set_nodelay(true).ok();
        let (app, limits, handshake) = (app.clone(), limits.clone(), handshake.clone());
        let stopping = stopping.clone();
        tokio::spawn(async move {
            serve_one(stream, app, &limits, &handshake, stopping).await;
            drop(slot);
        });
    }
    drop(listener);
    stop.send(true).ok();
    // Every connection holds a slot until it closes: all slots back means all closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    slots.acquire_many(all).await.ok();
}

async fn serve_one<H: Handshake>(
    stream: TcpStream,
    app: Router,
    limits: &ConnectionLimits,
    handshake: &H,
    mut stopping: watch::Receiver<bool>,
) {
    let io = match tokio::time::timeout(limits.header_timeout, handshake.handshake(stream)).await {
        Ok(Ok(io)) => io,
        Ok(Err(error)) => return debug!(%error, "handshake failed"),
        Err(_) => return debug!("handshake timed out"),
    };
    let answering = Arc::new(AtomicUsize::new(0));
    let io = IdleTimeout::new(io, limits.idle_timeout, Arc::clone(&answering));
    let body_timeout = limits.idle_timeout;
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let (app, answering) = (app.clone(), Arc::clone(&answering));
        async move {
            let _answering = Answering::new(&answering);
            let request =
                request.map(|body| axum::body::Body::new(StallTimeout::new(body, body_timeout)));
            app.oneshot(request).await
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    let served = tokio::select! {
        served = connection.as_mut() => served,
        _ = async { stopping.wait_for(|stop| *stop).await.map(|_| ()) } => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = served {
        debug!(%error, "connection ended with an error");
    }
}

/// Errors of one connection that the next accept does not share.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Logs accept errors at most once a second, with how many were not logged.
#[derive(Default)]
struct AcceptErrorLog {
    last: Option<Instant>,
    unlogged: u64,
}

impl AcceptErrorLog {
    fn note(&mut self, error: &io::Error) {
        if self
            .last
            .is_some_and(|last| last.elapsed() < Duration::from_secs(1))
        {
            self.unlogged += 1;
            return;
        }
        warn!(%error, also = self.unlogged, "cannot accept a connection");
        self.last = Some(Instant::now());
        self.unlogged = 0;
    }
}

/// Counts a request being answered for as long as it lives.
struct Answering(Arc<AtomicUsize>);

impl Answering {
    fn new(count: &Arc<AtomicUsize>) -> Answering {
        count.fetch_add(1, Ordering::SeqCst);
        Answering(Arc::clone(count))
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A connection that fails once nothing has been read or written for `limit` while no request
/// of it is being answered (an answer may take longer than that to compute; its body's pauses
/// are bounded by [`StallTimeout`]).
struct IdleTimeout<T> {
    inner: T,
    limit: Duration,
    deadline: Pin<Box<Sleep>>,
    answering: Arc<AtomicUsize>,
}

impl<T> IdleTimeout<T> {
    fn new(inner: T, limit: Duration, answering: Arc<AtomicUsize>) -> Self {
        IdleTimeout {
            inner,
            limit,
            deadline: Box::pin(tokio::time::sleep(limit)),
            answering,
        }
    }

    fn moved(&mut self) {
        let next = tokio::time::Instant::now() + self.limit;
        self.deadline.as_mut().reset(next);
    }

    /// Whether the connection has been idle too long (checked when it would wait).
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        if self.deadline.as_mut().poll(cx).is_pending() {
            return false;
        }
        if self.answering.load(Ordering::SeqCst) > 0 {
            // Busy answering: look again a period later.
            self.moved();
            let _ = self.deadline.as_mut().poll(cx);
            return false;
        }
        true
    }
}

fn idle_error() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "the connection was idle too long")
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleTimeout<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    self.moved();
                }
                Poll::Ready(result)
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(idle_error())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(written)) => {
                if written > 0 {
                    self.moved();
                }
                Poll::Ready(Ok(written))
            }
            Poll::Ready(error) => Poll::Ready(error),
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(idle_error())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(Ok(written)) => {
                if written > 0 {
                    self.moved();
                }
                Poll::Ready(Ok(written))
            }
            Poll::Ready(error) => Poll::Ready(error),
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(idle_error())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// A request body that fails when the client pauses longer than `limit` between two pieces
/// (counted from when the handler asks for a piece, so slow handlers are not blamed).
struct StallTimeout {
    inner: Incoming,
    limit: Duration,
    deadline: Option<Pin<Box<Sleep>>>,
}

impl StallTimeout {
    fn new(inner: Incoming, limit: Duration) -> Self {
        StallTimeout {
            inner,
            limit,
            deadline: None,
        }
    }
}

/// What a stalled request body fails with.
#[derive(Debug, thiserror::Error)]
#[error("the request body stalled for longer than {0:?}")]
pub struct BodyStalled(Duration);

impl hyper::body::Body for StallTimeout {
    type Data = bytes::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                self.deadline = None;
                Poll::Ready(frame.map(|frame| frame.map_err(Into::into)))
            }
            Poll::Pending => {
                let limit = self.limit;
                let deadline = self
                    .deadline
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(BodyStalled(limit).into()))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}
