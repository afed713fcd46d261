//! Raw mail bytes -> [`crate::core::InboundMail`], through mail-parser. Pure: no I/O.
// TEMPORARY stub written by the lead so the crate compiles: the owner of this file replaces
// all of it freely.

use crate::core::{AttachmentInfo, InboundMail};

pub struct ParsedMail {
    pub mail: InboundMail,
    pub attachments: Vec<AttachmentData>,
}

pub struct AttachmentData {
    pub info: AttachmentInfo,
    pub content: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum MimeError {
    #[error("not a mail")]
    NotMail,
}

pub fn parse(_raw: &[u8]) -> Result<ParsedMail, MimeError> {
    Err(MimeError::NotMail)
}
