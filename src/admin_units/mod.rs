//! Administrative units (province / district / commune) before and after the 2025 reform.
pub mod filter;
pub mod routes;
pub mod seed;
