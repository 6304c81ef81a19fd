//! Bitstride gateway billing: usage a backend cannot forge or lose.
