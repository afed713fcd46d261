//! The connection under the IMAP session: TCP or TLS, buffered writes, a silence timeout, and the
//! password written only at the last moment.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;
use tokio_rustls::client::TlsStream;

use super::names::quote;
use super::IO_TIMEOUT;

#[derive(Debug)]
pub(super) enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_flush(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Transport::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The stream async-imap talks over.
///
/// - Writes are buffered until async-imap flushes, so a command (tag, text, CRLF: three
///   writes) leaves as one TLS record and one segment.
/// - A read or write that makes no progress for `timeout` fails with `TimedOut`, so a dead
///   peer is noticed without TCP keepalive.
/// - The password never passes through async-imap, which logs every command at trace level:
///   LOGIN is given a placeholder, swapped for the real password here, on the way out.
pub(super) struct Conn {
    io: Transport,
    /// Bytes written by async-imap and not yet sent; `sent` of them are on the wire.
    out: Vec<u8>,
    sent: usize,
    pub(super) secret: Option<Substitution>,
    timeout: Option<Duration>,
    /// Armed while an operation is pending, disarmed by any progress.
    timer: Option<Pin<Box<Sleep>>>,
}

/// A placeholder to replace, once, by the secret (both as they appear on the wire).
pub(super) struct Substitution {
    placeholder: Vec<u8>,
    secret: Vec<u8>,
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn")
            .field("io", &self.io)
            .field("unsent", &(self.out.len() - self.sent))
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Conn {
    pub(super) fn new(transport: Transport) -> Conn {
        Conn {
            io: transport,
            out: Vec::new(),
            sent: 0,
            secret: None,
            timeout: Some(IO_TIMEOUT),
            timer: None,
        }
    }

    pub(super) fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
        self.timer = None;
    }

    /// The next flush that contains `"placeholder"` (as an IMAP quoted string) sends
    /// `"secret"` in its place instead.
    pub(super) fn substitute(&mut self, placeholder: &str, secret: &str) {
        self.secret = Some(Substitution {
            placeholder: quote(placeholder).into_bytes(),
            secret: quote(secret).into_bytes(),
        });
    }

    /// The next flush that contains `placeholder` as written sends `secret` in its place
    /// (a SASL response: base64 text, not a quoted string).
    pub(super) fn substitute_raw(&mut self, placeholder: &str, secret: &str) {
        self.secret = Some(Substitution {
            placeholder: placeholder.as_bytes().to_vec(),
            secret: secret.as_bytes().to_vec(),
        });
    }

    /// The TCP stream, if this is a plain connection (for STARTTLS). Anything async-imap had
    /// read ahead is discarded with it.
    pub(super) fn into_plain(self) -> Option<TcpStream> {
        match self.io {
            Transport::Plain(tcp) => Some(tcp),
            Transport::Tls(_) => None,
        }
    }

    fn swap_secret(&mut self) {
        let Some(sub) = self.secret.take() else {
            return;
        };
        let unsent = &self.out[self.sent..];
        match unsent
            .windows(sub.placeholder.len())
            .position(|w| w == sub.placeholder.as_slice())
        {
            Some(at) => {
                let at = self.sent + at;
                self.out
                    .splice(at..at + sub.placeholder.len(), sub.secret.iter().copied());
            }
            None => self.secret = Some(sub),
        }
    }

    /// Arms or checks the silence timer while the transport is not ready.
    fn pending<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let Some(limit) = self.timeout else {
            return Poll::Pending;
        };
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.timer = None;
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("the imap server was silent for {}s", limit.as_secs()),
                )))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.swap_secret();
        while self.sent < self.out.len() {
            match Pin::new(&mut self.io).poll_write(cx, &self.out[self.sent..]) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                Poll::Ready(Ok(n)) => {
                    self.sent += n;
                    self.timer = None;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return self.pending(cx),
            }
        }
        self.out.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(r) => {
                this.timer = None;
                Poll::Ready(r)
            }
            Poll::Pending => this.pending(cx),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        // A fresh command: whatever silence came before is not this command's.
        this.timer = None;
        this.out.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_send(cx))?;
        match Pin::new(&mut this.io).poll_flush(cx) {
            Poll::Ready(r) => {
                this.timer = None;
                Poll::Ready(r)
            }
            Poll::Pending => this.pending(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_send(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The password reaches the wire, escaped as a quoted string, where async-imap wrote
    /// the placeholder; nothing else changes and a second flush is left alone.
    #[tokio::test]
    async fn transport_swaps_the_placeholder_for_the_password() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = TcpStream::connect(addr).await.unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let mut conn = Conn::new(Transport::Plain(client));
        conn.substitute("tg-password-placeholder", r#"pa"ss\word"#);
        conn.write_all(b"A1 ").await.unwrap();
        conn.write_all(b"LOGIN \"u\" \"tg-password-placeholder\"")
            .await
            .unwrap();
        conn.write_all(b"\r\n").await.unwrap();
        conn.flush().await.unwrap();
        conn.write_all(b"A2 NOOP \"tg-password-placeholder\"\r\n")
            .await
            .unwrap();
        conn.flush().await.unwrap();
        drop(conn);
        let mut got = String::new();
        server.read_to_string(&mut got).await.unwrap();
        assert_eq!(
            got,
            "A1 LOGIN \"u\" \"pa\\\"ss\\\\word\"\r\nA2 NOOP \"tg-password-placeholder\"\r\n"
        );
    }
}
