//! Bindu x402: no payment without its task, no token without its secret.
