//! Consent receipts, export and erasure (filled in by the rights work).
