//! Bindu token introspection: audience and expiry required.
