//! The IMAP operations the ingest loop uses, as a trait: the seam between the daemon and the
//! server. [`Session`] is the real mailbox; tests/it/daemon.rs runs the same ingest code on an
//! in-memory one that records every operation, with tokio's time paused.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{IdleEvent, ImapError, MailboxState, Session};
use crate::config::ImapConfig;
use crate::oauth2::TokenSource;

/// One logged-in connection to the support mailbox, as the ingest loop sees it. Each method
/// does what the [`Session`] method of the same name does.
pub trait Mailbox: Send + Sized {
    /// Creates `mailbox` unless it exists already.
    fn ensure_mailbox(
        &mut self,
        mailbox: &str,
    ) -> impl Future<Output = Result<(), ImapError>> + Send;
    /// Selects `mailbox` (read-write).
    fn select(
        &mut self,
        mailbox: &str,
    ) -> impl Future<Output = Result<MailboxState, ImapError>> + Send;
    /// All UIDs in the selected mailbox, ascending.
    fn uids(&mut self) -> impl Future<Output = Result<Vec<u32>, ImapError>> + Send;
    /// (UID, size) of each of `uids` that exists, ascending.
    fn sizes(
        &mut self,
        uids: &[u32],
    ) -> impl Future<Output = Result<Vec<(u32, u64)>, ImapError>> + Send;
    /// The header block of each of `uids` that exists, ascending.
    fn headers(
        &mut self,
        uids: &[u32],
    ) -> impl Future<Output = Result<Vec<(u32, Vec<u8>)>, ImapError>> + Send;
    /// The raw bytes of each of `mails` (UID, size) that exists, ascending, without `\Seen`.
    fn fetch_sized(
        &mut self,
        mails: &[(u32, u64)],
    ) -> impl Future<Output = Result<Vec<(u32, Vec<u8>)>, ImapError>> + Send;
    /// Moves `uids` to `mailbox`.
    fn move_to(
        &mut self,
        uids: &[u32],
        mailbox: &str,
    ) -> impl Future<Output = Result<(), ImapError>> + Send;
    /// Flags `uids` `\Seen` (mail left in place).
    fn mark_seen(&mut self, uids: &[u32]) -> impl Future<Output = Result<(), ImapError>> + Send;
    /// The server offers IDLE.
    fn supports_idle(&self) -> bool;
    /// Waits for new mail, `timeout` or `cancel`, and hands the mailbox back.
    fn idle_wait(
        self,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> impl Future<Output = Result<(Self, IdleEvent), ImapError>> + Send;
    /// Logs out and closes the connection.
    fn logout(self) -> impl Future<Output = Result<(), ImapError>> + Send;
}

/// Where the ingest loop gets a [`Mailbox`] from, again after each failure.
pub trait Connect: Send + Sync + 'static {
    type Mailbox: Mailbox;
    /// Connects and logs in.
    fn connect(&self) -> impl Future<Output = Result<Self::Mailbox, ImapError>> + Send;
}

/// The IMAP server of `[imap]`: connects a [`Session`].
pub struct Server {
    config: ImapConfig,
    tokens: Option<Arc<TokenSource>>,
}

impl Server {
    /// The server `config` names, logging in with a token from `tokens` when `config.auth`
    /// says OAuth2.
    pub fn new(config: ImapConfig, tokens: Option<Arc<TokenSource>>) -> Server {
        Server { config, tokens }
    }
}

impl Connect for Server {
    type Mailbox = Session;
    fn connect(&self) -> impl Future<Output = Result<Session, ImapError>> + Send {
        Session::connect_with(&self.config, self.tokens.as_deref())
    }
}

impl Mailbox for Session {
    fn ensure_mailbox(
        &mut self,
        mailbox: &str,
    ) -> impl Future<Output = Result<(), ImapError>> + Send {
        Session::ensure_mailbox(self, mailbox)
    }
    fn select(
        &mut self,
        mailbox: &str,
    ) -> impl Future<Output = Result<MailboxState, ImapError>> + Send {
        Session::select(self, mailbox)
    }
    fn uids(&mut self) -> impl Future<Output = Result<Vec<u32>, ImapError>> + Send {
        Session::uids(self)
    }
    fn sizes(
        &mut self,
        uids: &[u32],
    ) -> impl Future<Output = Result<Vec<(u32, u64)>, ImapError>> + Send {
        Session::sizes(self, uids)
    }
    fn headers(
        &mut self,
        uids: &[u32],
    ) -> impl Future<Output = Result<Vec<(u32, Vec<u8>)>, ImapError>> + Send {
        Session::headers(self, uids)
    }
    fn fetch_sized(
        &mut self,
        mails: &[(u32, u64)],
    ) -> impl Future<Output = Result<Vec<(u32, Vec<u8>)>, ImapError>> + Send {
        Session::fetch_sized(self, mails)
    }
    fn move_to(
        &mut self,
        uids: &[u32],
        mailbox: &str,
    ) -> impl Future<Output = Result<(), ImapError>> + Send {
        Session::move_to(self, uids, mailbox)
    }
    fn mark_seen(&mut self, uids: &[u32]) -> impl Future<Output = Result<(), ImapError>> + Send {
        Session::mark_seen(self, uids)
    }
    fn supports_idle(&self) -> bool {
        Session::supports_idle(self)
    }
    fn idle_wait(
        self,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> impl Future<Output = Result<(Session, IdleEvent), ImapError>> + Send {
        Session::idle_wait(self, timeout, cancel)
    }
    fn logout(self) -> impl Future<Output = Result<(), ImapError>> + Send {
        Session::logout(self)
    }
}
