//! What the delivery rules read of the addresses one mail may lead to mail for, in one call
//! ([`Store::delivery_facts`]): a store whose reads are round trips to a server answers it
//! with one query; [`one_by_one`] is the answer of a store whose reads are cheap.

use super::{Store, StoreError};

/// What a store knows of one address for the delivery rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddressFacts {
    /// Automatic answers sent to it at or after the time asked.
    pub answers: u32,
    /// Until when it gets no mail because it hard-bounced, if it did.
    pub bounced_until: Option<i64>,
}

/// The answer of [`Store::delivery_facts`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryFacts {
    /// One for each address asked, in the order asked.
    pub addresses: Vec<AddressFacts>,
    /// Mails from the sender asked processed at or after the time asked (0 without one).
    pub sender_mails: u32,
}

/// [`Store::delivery_facts`] through the methods that read one address each.
pub(super) fn one_by_one<S: Store + ?Sized>(
    s: &S,
    addrs: &[String],
    sender: Option<&str>,
    since: i64,
) -> Result<DeliveryFacts, StoreError> {
    let mut facts = DeliveryFacts::default();
    for a in addrs {
        facts.addresses.push(AddressFacts {
            answers: s.replies_since(a, since)?,
            bounced_until: s.bounced_until(a)?,
        });
    }
    if let Some(sender) = sender {
        facts.sender_mails = s.sender_mails_since(sender, since)?;
    }
    Ok(facts)
}
