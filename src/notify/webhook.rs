//! Generic webhook: the JSON Feed item, `_report` included, as the POST body.

use serde_json::Value;

use super::{Destination, Message, Platform};

/// Any endpoint that takes JSON.
pub struct Webhook;

impl Platform for Webhook {
    fn payload(&self, msg: &Message, _dest: &Destination, _now_ms: i64) -> Value {
        msg.item.clone()
    }
}
