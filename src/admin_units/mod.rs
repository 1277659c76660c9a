//! Administrative units (province / district / commune) before and after the 2025 reform.
pub mod filter;
pub mod import;
pub mod routes;
pub mod seed;
pub mod source;
