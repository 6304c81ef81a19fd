//! Bindu webhooks: signed deliveries and refused special-purpose addresses.
