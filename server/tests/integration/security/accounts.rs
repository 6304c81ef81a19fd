//! Bitstride accounts: OIDC linking, email verification, recovery, attempt counting.
