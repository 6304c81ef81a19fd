//! Secrets sealed at rest: none readable in a database dump.
