//! sublex-tools: what a character model saves against the word table it replaces, and the
//! quality each byte buys.

pub mod savings;
