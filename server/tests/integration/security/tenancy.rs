//! Tenancy: one tenant's resources unreachable by another, every verb.
